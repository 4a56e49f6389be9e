"""FIX(a) and FIX(b): O(1) unique checks on insert, for _id and for compound unique indexes.

mongoeco behaviour: MemoryEngine._ensure_unique_indexes (a) compares a single inserted
document's _id with every stored _id, although the storage-key lookup it did just before
already found any duplicate, and (b) checks a compound unique index by comparing the new
document with every stored one, although the index's MemoryIndexMap holds the keys. Every
insert therefore cost O(n) in the collection's size.
Why the app cannot avoid it: every ORM insert goes through that check (the _id always,
Score's unique (mentee, mentor) pair on every score upsert); there is no insert path that
skips it.
"""

from __future__ import annotations

from typing import Any

from embedded_mongo.patches._support import (
    irregular_marks,
    map_lookup_keys,
    mark_key,
    regular_compound_key,
    simple_id,
)


def apply(memory: Any) -> None:
    """Fixes (a) and (b): O(1) unique checks for inserts (ids and compound unique indexes)."""
    engine_cls = memory.MemoryEngine
    original_update = engine_cls._update_indexes_locked
    original_rebuild = engine_cls._rebuild_index_data_locked

    # (b) bookkeeping: a compound index whose map ever received an irregular document is
    # marked and keeps the original scan forever (sticky, so never unsafe). Every way a
    # document enters an index map goes through these two methods (insert/update/upsert/
    # replace call _update_indexes_locked(action="insert"), create_index rebuilds; the
    # rollback journal only re-adds memberships that were added through them).
    def _update_indexes_locked(self, db_name, coll_name, storage_key, document, **kwargs):
        if kwargs.get("action", "insert") == "insert":
            indexes_view = kwargs.get("indexes_view")
            indexes = (
                (self._indexes if indexes_view is None else indexes_view)
                .get(db_name, {})
                .get(coll_name, [])
            )
            for index in indexes:
                if len(index["fields"]) < 2 or not memory.document_in_virtual_index(
                    document, index
                ):
                    continue
                if regular_compound_key(self, document, index["fields"]) is None:
                    irregular_marks(self).add(mark_key(index))
        return original_update(self, db_name, coll_name, storage_key, document, **kwargs)

    def _rebuild_index_data_locked(self, db_name, coll_name, index, **kwargs):
        if len(index["fields"]) >= 2:
            storage_view = kwargs.get("storage_view")
            coll = (
                (self._storage if storage_view is None else storage_view)
                .get(db_name, {})
                .get(coll_name, {})
            )
            for data in coll.values():
                document = self._borrow_storage_document(data)
                if memory.document_in_virtual_index(document, index) and (
                    regular_compound_key(self, document, index["fields"]) is None
                ):
                    irregular_marks(self).add(mark_key(index))
                    break
        return original_rebuild(self, db_name, coll_name, index, **kwargs)

    # Copy of MemoryEngine._ensure_unique_indexes (mongoeco 4.11.0, memory.py) with two
    # changes marked FIX(a) and FIX(b); everything else is verbatim (its three identical
    # raises folded into _duplicate) so error precedence and messages stay identical.
    def _ensure_unique_indexes(
        self,
        db_name,
        coll_name,
        candidate,
        *,
        exclude_storage_key=None,
        indexes_view=None,
        storage_view=None,
        index_data_view=None,
        check_id_storage=False,
        scan_payload_id=False,
    ):
        indexes = (
            (self._indexes if indexes_view is None else indexes_view)
            .get(db_name, {})
            .get(coll_name, [])
        )
        coll = (
            (self._storage if storage_view is None else storage_view)
            .get(db_name, {})
            .get(coll_name, {})
        )
        normalized_exclude = exclude_storage_key
        if exclude_storage_key is not None and exclude_storage_key not in coll:
            normalized_exclude = self._storage_key(exclude_storage_key)

        def _duplicate(index, fields, key):
            # The upstream error, raised from three places below.
            return self._unique_key_error(
                f"Duplicate key for unique index '{index['name']}': {fields}={key!r}",
                f"{db_name}.{coll_name}",
                candidate,
                index=index,
                conflict=key,
            )

        if check_id_storage and "_id" in candidate:
            candidate_id_storage_key = self._storage_key(candidate["_id"])
            if candidate_id_storage_key in coll and candidate_id_storage_key != normalized_exclude:
                raise self._unique_key_error(
                    f"Duplicate key: _id={candidate['_id']}",
                    f"{db_name}.{coll_name}",
                    candidate,
                )
            # FIX(a): single-document inserts (scan_payload_id=True) compared the new _id
            # with every stored one. The storage-key lookup just above already finds every
            # duplicate whose storage key equals the candidate's, which is every duplicate
            # when simple_id() holds (the engine's own multi-document insert path relies
            # on the same fact: it passes scan_payload_id=False). Numeric ids (1 vs 1.0)
            # and bytes/Binary still take the scan.
            if scan_payload_id and simple_id(candidate["_id"]):
                scan_payload_id = False
            if scan_payload_id or (
                candidate_id_storage_key != normalized_exclude
                and memory.id_contains_numeric_value(candidate["_id"])
            ):
                for storage_key, data in coll.items():
                    if normalized_exclude is not None and storage_key == normalized_exclude:
                        continue
                    existing = self._borrow_storage_document(data)
                    if "_id" in existing and memory.bson_equality_key(
                        existing["_id"]
                    ) == memory.bson_equality_key(candidate["_id"]):
                        raise self._unique_key_error(
                            f"Duplicate key: _id={candidate['_id']}",
                            f"{db_name}.{coll_name}",
                            candidate,
                        )

        for index in indexes:
            if not memory.document_in_virtual_index(candidate, index):
                continue
            self._validate_compound_multikey_shape(candidate, index)
            if not index.get("unique"):
                continue

            fields = index["fields"]
            candidate_keys = self._unique_index_keys(candidate, fields)

            index_map = (
                (index_data_view if index_data_view is not None else self._index_data)
                .get(db_name, {})
                .get(coll_name, {})
                .get(index["name"])
            )
            if index_map is not None and len(fields) == 1 and index.get("collation") is None:
                for candidate_key in candidate_keys:
                    matches = index_map.get(candidate_key)
                    if matches is None:
                        continue
                    if normalized_exclude is None or any(m != normalized_exclude for m in matches):
                        raise _duplicate(index, fields, candidate_key)
                continue

            # FIX(b): compound unique indexes use their MemoryIndexMap too. Exact when the
            # candidate is regular (no array on any index path: one index tuple) and no
            # irregular document was ever indexed in this index (then every stored
            # document's map key is its only uniqueness tuple); null/missing spellings are
            # both looked up. Sparse/partial indexes are fine: the map holds exactly the
            # documents for which document_in_virtual_index() is true, as the scan below
            # filters. Any other case (collation, irregular data) keeps the scan.
            if (
                index_map is not None
                and index.get("collation") is None
                and mark_key(index) not in irregular_marks(self)
            ):
                values = regular_compound_key(self, candidate, fields)
                if values is not None:
                    for lookup_key in map_lookup_keys(self, values):
                        matches = index_map.get(lookup_key)
                        if not matches:
                            continue
                        if normalized_exclude is None or any(
                            m != normalized_exclude for m in matches
                        ):
                            raise _duplicate(index, fields, next(iter(candidate_keys)))
                    continue

            for storage_key, data in coll.items():
                if normalized_exclude is not None and storage_key == normalized_exclude:
                    continue
                existing = self._borrow_storage_document(data)
                if not memory.document_in_virtual_index(existing, index):
                    continue
                duplicate_key = self._unique_index_conflict(candidate, existing, index)
                if duplicate_key is not None:
                    raise _duplicate(index, fields, duplicate_key)

    engine_cls._update_indexes_locked = _update_indexes_locked
    engine_cls._rebuild_index_data_locked = _rebuild_index_data_locked
    engine_cls._ensure_unique_indexes = _ensure_unique_indexes
