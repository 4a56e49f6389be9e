"""Embedded MongoDB for `make run` / `make test`: mongoeco's wire server, its fixes, a launcher.

One file, two roles:

* server role (Python 3.13, .venv-mongo, never imports Django):
  ``python config/embedded_mongo.py serve --port-file PATH [--data-dir DIR] ...``
  runs ``mongoeco.wire.AsyncMongoEcoProxyServer`` over a patched ``MemoryEngine``,
  restores/dumps DIR in mongodump layout and exits cleanly on SIGINT/SIGTERM or when
  its parent process disappears;
* launcher role (the app's Python 3.11, stdlib + pymongo only): ``EmbeddedMongo``,
  ``python -m config.embedded_mongo run [--data-dir DIR] -- CMD ...`` and the pytest
  plugin in config/pytest_embedded_mongo.py.

Durability: with a data dir, every committed write is journaled (post-images, fsynced,
group-committed) before its reply is sent, and replayed after restoring the last dump;
dumps (every 5 minutes and on a clean stop) compact the journal. See "the write-ahead
journal" below. The launcher supervises the server: if it dies, it is restarted from its
data on the same port, or everything is stopped with a clear message.

Why nothing may block the event loop (gap f): the wire server executes every command on one
asyncio event loop, so a slow command delays every connection, including pymongo's
monitoring heartbeats. The app's pymongo timeouts are bounded (a few seconds, from Django
settings via DATABASES OPTIONS, which override URI options); the URI therefore carries only
directConnection=true, and the server must never hold the loop for more than ~1 s at
demo/test sizes. The engine patches below keep ordinary ORM writes O(1); journal fsyncs run
on a writer thread (the loop only awaits them); dumps yield to the loop every
DUMP_YIELD_EVERY documents and write/fsync their files on a worker thread. Running
commands off the loop was rejected: the engine's locks and MVCC state are loop-affine
(``asyncio`` locks taken by async engine methods), so threads would need a second loop per
command and would race on the engine's shared dictionaries.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any, Self

REPO = Path(__file__).resolve().parent.parent
MONGOECO_VERSION = "4.11.0"
DEFAULT_PYTHON = REPO / ".venv-mongo" / "bin" / "python"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
DEFAULT_DUMP_INTERVAL = 300.0
# Timeouts come from Django settings (DATABASES OPTIONS), see the module docstring (gap f).
URI_OPTIONS = "directConnection=true"
# Supervision (launcher): how often the database is checked, and when to give up on it.
SUPERVISE_POLL = 0.5
MAX_RESTARTS = 3
RESTART_WINDOW = 60.0
SKIPPED_DATABASES = frozenset({"admin", "config", "local"})
INSERT_BATCH = 1000
DUMP_YIELD_EVERY = 500
MANIFEST = "manifest.json"
CHANGE_LOG_ENTRIES = 1000


# ---------------------------------------------------------------------------------------
# Server role: compatibility fixes for mongoeco 4.11.0's MemoryEngine and wire server.
# ---------------------------------------------------------------------------------------


def _check_mongoeco_version() -> None:
    """Fail loudly if mongoeco is not the exact version these patches were written for."""
    import mongoeco

    if mongoeco.__version__ != MONGOECO_VERSION:
        raise RuntimeError(
            f"config/embedded_mongo.py patches mongoeco {MONGOECO_VERSION}, found "
            f"{mongoeco.__version__}: re-verify every patch against the new source first"
        )


def _simple_id(value: Any) -> bool:
    """Tell whether storage-key equality is exactly BSON equality for this _id value."""
    # memory.py keys documents by bson_engine_key(_id) and compares ids with
    # bson_equality_key. The two differ only for numbers (1 == 1.0 == Int64(1)), for
    # bytes vs Binary subtype 0, and for documents/arrays containing those; everywhere
    # else bson_equality_key delegates to bson_engine_key. None is excluded because a
    # document without _id is stored under the key of None.
    import re

    from mongoeco.core.identity import id_contains_numeric_value
    from mongoeco.types import Binary, Regex

    def has_bytes(item: Any) -> bool:
        if isinstance(item, dict):
            return any(has_bytes(sub) for sub in item.values())
        if isinstance(item, (list, tuple)):
            return any(has_bytes(sub) for sub in item)
        return isinstance(item, (bytes, bytearray, Binary))

    # Regexes are excluded too: in a query ({"_id": {"$in": [/x/]}}) they match by pattern.
    return (
        value is not None
        and not isinstance(value, (list, Regex, re.Pattern))
        and not id_contains_numeric_value(value)
        and not has_bytes(value)
    )


def _regular_compound_key(engine: Any, document: dict, fields: list[str]) -> tuple | None:
    """Return the single index tuple of a document without arrays on the index paths, else None."""
    # For such a document _unique_index_values() yields exactly one tuple (one value per
    # field, None when missing) and _index_keys() stores the same tuple in the
    # MemoryIndexMap, except that a *missing* field is stored as None while an explicit
    # null is stored as bson_equality_key(None). Documents with an array anywhere on an
    # index path are "irregular": the map keeps only the array itself (values[0]) where
    # uniqueness needs every element, so they must use the original scan.
    from mongoeco.core.filtering import QueryEngine

    if engine._compound_multikey_array_paths(document, fields):
        return None
    key = []
    for field in fields:
        values = QueryEngine.extract_values(document, field)
        if len(values) > 1 or (values and isinstance(values[0], list)):
            return None
        key.append(values[0] if values else None)
    return tuple(key)


def _map_lookup_keys(engine: Any, values: tuple) -> list[tuple]:
    """Every MemoryIndexMap key a regular document with these values may be stored under."""
    # null and missing are the same index key for uniqueness; the map spells missing as
    # None and null as bson_equality_key(None), so look both spellings up.
    variants: list[tuple] = [()]
    for value in values:
        if value is None:
            spellings = [None, engine._index_equality_key(None)]
        else:
            spellings = [engine._index_equality_key(value)]
        variants = [(*prefix, spelling) for prefix in variants for spelling in spellings]
    return variants


def _irregular_marks(engine: Any) -> set:
    """(index name, fields) of compound indexes that ever indexed an irregular document."""
    marks = getattr(engine, "_embedded_irregular_compound", None)
    if marks is None:
        marks = set()
        engine._embedded_irregular_compound = marks
    return marks


def _mark_key(index: Any) -> tuple:
    """Key of the irregular-document mark: survives collection renames and MVCC copies."""
    return (str(index["name"]), tuple(index["fields"]))


def _patch_unique_checks(memory: Any) -> None:
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
                if _regular_compound_key(self, document, index["fields"]) is None:
                    _irregular_marks(self).add(_mark_key(index))
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
                    _regular_compound_key(self, document, index["fields"]) is None
                ):
                    _irregular_marks(self).add(_mark_key(index))
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
            # when _simple_id() holds (the engine's own multi-document insert path relies
            # on the same fact: it passes scan_payload_id=False). Numeric ids (1 vs 1.0)
            # and bytes/Binary still take the scan.
            if scan_payload_id and _simple_id(candidate["_id"]):
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
                and _mark_key(index) not in _irregular_marks(self)
            ):
                values = _regular_compound_key(self, candidate, fields)
                if values is not None:
                    for lookup_key in _map_lookup_keys(self, values):
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


def _patch_candidate_lookup(memory: Any) -> None:
    """Fix (c) and the compound-equality lookup: no full scans for _id / unique-pair filters."""
    import datetime
    import uuid

    from mongoeco.core.query_plan import InCondition

    engine_cls = memory.MemoryEngine
    original_candidates = engine_cls._candidate_items_for_plan_locked
    original_indexed = engine_cls._indexed_candidate_storage_keys_for_plan_locked

    # FIX(c): an update/upsert/delete/find filtered by _id equality whose document is
    # absent fell back to scanning every document. Every matching document must have an
    # _id BSON-equal to the looked-up value; for a _simple_id() value that means the same
    # storage key, and that key is absent, so no document can match. With a collation the
    # original path is kept (string _id comparison may then be case-insensitive).
    def _candidate_items_for_plan_locked(self, coll, query_plan, **kwargs):
        if kwargs.get("collation") is None:
            id_lookup = self._direct_id_lookup_from_plan(query_plan)
            if (
                id_lookup is not None
                and _simple_id(id_lookup)
                and self._storage_key(id_lookup) not in coll
            ):
                return []
            in_values = _id_in_values(query_plan)
            if in_values is not None and all(_simple_id(value) for value in in_values):
                keys = {self._storage_key(value) for value in in_values}
                present = [key for key in keys if key in coll]
                if isinstance(coll, memory.MemoryCollection):
                    present = coll.ordered_keys(present)
                return [(key, coll[key]) for key in present]
        return original_candidates(self, coll, query_plan, **kwargs)

    # Same argument for {"_id": {"$in": [...]}} (Django deletes objects by pk__in, and
    # bulk updates use it): only documents stored under one of the values' storage keys
    # can match. The caller re-matches each candidate against the whole filter.
    def _id_in_values(query_plan):
        clauses = (
            query_plan.clauses if isinstance(query_plan, memory.AndCondition) else (query_plan,)
        )
        for clause in clauses:
            if (
                isinstance(clause, InCondition)
                and clause.field == "_id"
                and not clause.null_matches_undefined
            ):
                return clause.values
        return None

    # Compound-equality lookup: filters such as filter(mentee=a, mentor=b) (Django's
    # update_or_create/get on a unique pair) only used single-field indexes and otherwise
    # scanned. A compound index the engine itself deems usable for the plan
    # (query_can_use_index: not hidden, ordered keys, sparse/partial filter implied) whose
    # every field has an equality clause with a plain scalar in the top-level $and can
    # answer it from its MemoryIndexMap, with the exactness argument of FIX(b): no
    # irregular document was ever indexed, so each document's map key is its only value
    # tuple. The returned keys are still re-matched against the full filter by the caller.
    scalar_types = (str, bool, int, float, datetime.datetime, uuid.UUID, memory.ObjectId)

    def _indexed_candidate_storage_keys_for_plan_locked(
        self, indexes, index_data, query_plan, *, dialect, collation
    ):
        if collation is None and isinstance(query_plan, memory.AndCondition):
            equalities = {}
            for clause in query_plan.clauses:
                if (
                    isinstance(clause, memory.EqualsCondition)
                    and not clause.null_matches_undefined
                    and isinstance(clause.value, scalar_types)
                ):
                    equalities.setdefault(clause.field, clause.value)
            for index in indexes:
                fields = index["fields"]
                if (
                    len(fields) < 2
                    or not all(field in equalities for field in fields)
                    or index.get("collation") is not None
                    or _mark_key(index) in _irregular_marks(self)
                    or not memory.query_can_use_index(
                        index, query_plan, dialect=dialect, collation=collation
                    )
                ):
                    continue
                index_map = index_data.get(index["name"])
                if index_map is None:
                    continue
                key = tuple(self._index_equality_key(equalities[field]) for field in fields)
                return memory._MemoryIndexedCandidates(
                    set(index_map.get(key, ())),
                    index_map=index_map if isinstance(index_map, memory.MemoryIndexMap) else None,
                    index_key=key,
                )
        found = original_indexed(
            self, indexes, index_data, query_plan, dialect=dialect, collation=collation
        )
        if found is None and collation is None:
            found = _in_lookup(self, indexes, index_data, query_plan, dialect=dialect)
        return found

    # FIX(k): {"f": {"$in": [v1, v2, ...]}} (Django's email__in: a mentee's match list reads
    # every listed mentor) scanned the whole collection even where f has an ascending
    # single-field index: the planner above uses an index for an equality only. With plain
    # scalar values $in is the union of the equalities f == v, and mongoeco answers each
    # such equality from that index's map (find_usable_index's EqualsCondition branch,
    # mongoeco 4.11.0, same map, same key function), so the union of those lookups is
    # exactly the candidate set the equalities would give. Only when the engine found no
    # usable equality itself; the caller re-matches every candidate against the whole filter.
    def _in_lookup(engine, indexes, index_data, query_plan, *, dialect):
        clauses = (
            query_plan.clauses if isinstance(query_plan, memory.AndCondition) else (query_plan,)
        )
        for clause in clauses:
            if (
                not isinstance(clause, InCondition)
                or clause.null_matches_undefined
                or not all(type(value) in scalar_types for value in clause.values)
            ):
                continue
            for index in indexes:
                if index["key"] != [(clause.field, 1)] or not memory.query_can_use_index(
                    index, query_plan, dialect=dialect, collation=None
                ):
                    continue
                index_map = index_data.get(index["name"])
                if index_map is None:
                    continue
                keys = set()
                for value in clause.values:
                    keys.update(index_map.get((engine._index_equality_key(value),), ()))
                return memory._MemoryIndexedCandidates(keys)
        return None

    engine_cls._candidate_items_for_plan_locked = _candidate_items_for_plan_locked
    engine_cls._indexed_candidate_storage_keys_for_plan_locked = (
        _indexed_candidate_storage_keys_for_plan_locked
    )


SHADOW_PREFIX = "__embedded_prefix__"


def _patch_prefix_shadow_indexes(memory: Any) -> None:
    """Fix (l): an equality on the leading field of a compound index uses an index."""
    # mongoeco's planner answers an equality from an index only when the index's whole key
    # is that field ascending (find_usable_index), so filter(mentee_email=...) .order_by(
    # "-score") -- a mentee's match list, on the (mentee_email, -score) index -- scanned every
    # score: 82 ms a call at 73,000 scores, the main database cost of the load bench. MongoDB
    # answers it from the compound index's prefix. mongoeco's index maps are persistent
    # (MVCC) structures with no prefix lookup, and walking their keys costs as much as the
    # scan, so the exact bridge is a real engine index on the leading field, which the
    # engine itself maintains on every write path: creating a compound index whose first
    # key is ascending also creates a plain (not unique, sparse or partial: it covers every
    # document, so it is always usable and exact) single-field index named SHADOW_PREFIX +
    # field, unless the collection already has an index on exactly that key. Shadows are
    # hidden from listIndexes / index_information (so dumps, Django's introspection and
    # clients never see them); an index the client creates on that same key replaces its
    # shadow, and dropping indexes drops shadows with them. Calls go to the unjournaled
    # engine methods: replaying the compound's creation recreates its shadow.
    engine_cls = memory.MemoryEngine
    original_create = engine_cls.create_index
    original_drop = engine_cls.drop_index
    original_list = engine_cls.list_indexes
    original_information = engine_cls.index_information

    def shadow_name(field: str) -> str:
        return f"{SHADOW_PREFIX}{field}"

    async def existing(self, db_name, coll_name, context):
        return await original_list(self, db_name, coll_name, context=context)

    async def create_index(self, db_name, coll_name, keys, **kwargs):
        normalized = memory.normalize_index_keys(keys)
        context = kwargs.get("context")
        if len(normalized) == 1 and normalized[0][1] == 1:
            # The client's own index on the key replaces the shadow.
            field = normalized[0][0]
            names = {index["name"] for index in await existing(self, db_name, coll_name, context)}
            if shadow_name(field) in names and kwargs.get("name") != shadow_name(field):
                await original_drop(self, db_name, coll_name, shadow_name(field), context=context)
        name = await original_create(self, db_name, coll_name, keys, **kwargs)
        if len(normalized) >= 2 and normalized[0][1] == 1:
            field = normalized[0][0]
            indexes = await existing(self, db_name, coll_name, context)
            if not any(index["key"] == {field: 1} for index in indexes):
                await original_create(
                    self, db_name, coll_name, [(field, 1)], name=shadow_name(field), context=context
                )
        return name

    async def drop_index(self, db_name, coll_name, index_or_name, **kwargs):
        await original_drop(self, db_name, coll_name, index_or_name, **kwargs)
        # A shadow goes with the last compound index it serves.
        context = kwargs.get("context")
        indexes = await existing(self, db_name, coll_name, context)
        for index in indexes:
            if not index["name"].startswith(SHADOW_PREFIX):
                continue
            field = index["name"][len(SHADOW_PREFIX) :]
            if not any(
                len(other["key"]) >= 2 and next(iter(other["key"])) == field
                for other in indexes
                if not other["name"].startswith(SHADOW_PREFIX)
            ):
                await original_drop(self, db_name, coll_name, index["name"], context=context)

    async def list_indexes(self, db_name, coll_name, **kwargs):
        indexes = await original_list(self, db_name, coll_name, **kwargs)
        return [index for index in indexes if not index["name"].startswith(SHADOW_PREFIX)]

    async def index_information(self, db_name, coll_name, **kwargs):
        information = await original_information(self, db_name, coll_name, **kwargs)
        return {
            name: entry for name, entry in information.items() if not name.startswith(SHADOW_PREFIX)
        }

    engine_cls.create_index = create_index
    engine_cls.drop_index = drop_index
    engine_cls.list_indexes = list_indexes
    engine_cls.index_information = index_information


def _patch_buildinfo_alias() -> None:
    """Fix (d): accept the lowercase `buildinfo` command that pymongo's server_info() sends."""
    # mongod registers `buildinfo` as an alias of `buildInfo`; mongoeco's wire surface only
    # knows the camel-case name. Renaming the command key before the request context is
    # built (validation, capability lookup and dispatch all derive from it) is exact.
    from mongoeco.wire import _executor_support, executor

    original = executor.build_request_context

    def build_request_context(body, **kwargs):
        command = next(
            (key for key in body if key not in _executor_support.WIRE_INTERNAL_KEYS), None
        )
        if command == "buildinfo":
            body = {("buildInfo" if key == "buildinfo" else key): v for key, v in body.items()}
        return original(body, **kwargs)

    executor.build_request_context = build_request_context


def _patch_not_expression() -> None:
    """Fix (e): the aggregation-expression `$not` (in $expr, $project, ...)."""
    # MongoDB: {$not: [expr]} or {$not: expr} returns the boolean opposite of expr's
    # truthiness; false, null, 0 and missing/undefined are falsy, everything else
    # (including "" and []) truthy. The dialect policy's expression_truthy is the same
    # predicate mongoeco's own $and/$or/$cond use.
    from mongoeco.core.aggregation.extensions import register_aggregation_expression_operator

    def evaluate_not(document, spec, variables, dialect, context):
        # MongoDB accepts a bare operand as a one-element argument list.
        args = context.require_expression_args(
            "$not", spec if isinstance(spec, list) else [spec], 1, 1
        )
        value = context.evaluate_expression(document, args[0], variables)
        return not dialect.policy.expression_truthy(value)

    register_aggregation_expression_operator("$not", evaluate_not)


def _patch_flat_document_paths(memory: Any) -> None:
    """Fix (g): O(1) field access for top-level index paths of plain documents."""
    # Every write computes each index's key(s) several times (unique check, multikey shape
    # check, the irregular-document mark, the index maps), each through the general
    # dot-path walkers below; together ~25% of an insert. For the overwhelmingly common
    # case -- a plain dict document and a path without "." -- each walker reduces to one
    # dict lookup, derived line by line from mongoeco 4.11.0:
    # * _filtering_support.extract_values(doc, "f"): path_mapping(doc) is doc, one part,
    #   the document is not a list, so: [] if "f" is absent, [v, *v] for a list v, else [v];
    # * MemoryEngine._array_paths_for_index_field(doc, "f"): collect() reaches doc["f"]
    #   at position 1 == len(parts) and records "f" only when it is a list;
    # * MemoryEngine._index_keys(doc, fields) with no list value on any field: each field
    #   gives [] (-> None) or [v] (-> _index_equality_key(v)).
    # Anything else (dotted or empty paths, list values, other mapping types such as SON or
    # DBRef) takes the original code.
    from mongoeco.core import codec
    from mongoeco.core.filtering import QueryEngine

    plain = (dict, codec._InternalBsonDocument)
    engine_cls = memory.MemoryEngine
    original_extract = QueryEngine.extract_values
    original_array_paths = engine_cls._array_paths_for_index_field
    original_index_keys = engine_cls._index_keys

    def extract_values(doc, path):
        if type(doc) in plain and path and "." not in path:
            if path not in doc:
                return []
            value = doc[path]
            return [value, *value] if isinstance(value, list) else [value]
        return original_extract(doc, path)

    def _array_paths_for_index_field(document, field):
        if type(document) in plain and field and "." not in field:
            return {field} if isinstance(document.get(field), list) else set()
        return original_array_paths(document, field)

    def _index_keys(self, document, fields):
        if type(document) in plain:
            key = []
            for field in fields:
                if not field or "." in field:
                    break
                if field not in document:
                    key.append(None)
                    continue
                value = document[field]
                if isinstance(value, list):
                    break
                key.append(self._index_equality_key(value))
            else:
                return {tuple(key)}
        return original_index_keys(self, document, fields)

    QueryEngine.extract_values = staticmethod(extract_values)
    engine_cls._array_paths_for_index_field = staticmethod(_array_paths_for_index_field)
    engine_cls._index_keys = _index_keys


def _patch_codec_scalars() -> None:
    """Fix (h): DocumentCodec.encode returns common scalars without its type ladder."""
    # encode() (run twice per written document: to_internal() at the command boundary and
    # again for storage) validates every value twice and walks ~30 isinstance checks before
    # returning a str/float/bool/None unchanged. For these exact types (not subclasses)
    # validate_bson_value() cannot raise and no branch matches, so they are returned as is;
    # exact ints only inside the int64 range (outside, the original raises its overflow
    # error). Exact datetimes and ObjectIds return what their original branch returns (for
    # them validate_bson_value() is a no-op and no earlier branch matches). Containers and
    # every other type keep the original code, which recurses through this function.
    import datetime

    from mongoeco.core import codec
    from mongoeco.core.bson_scalars import INT64_MAX, INT64_MIN

    document_codec = codec.DocumentCodec
    original = document_codec.encode
    passthrough = frozenset({str, float, bool, type(None)})
    object_ids = frozenset(
        cls for cls in (codec.ObjectId, getattr(codec, "BsonObjectId", None)) if cls is not None
    )

    def encode(data):
        cls = type(data)
        if cls in passthrough:
            return data
        if cls is int and INT64_MIN <= data <= INT64_MAX:
            return data
        if cls is datetime.datetime:
            normalized = codec.normalize_utc_bson_datetime(data)
            return document_codec._tagged_value("datetime", normalized.isoformat())
        if cls in object_ids:
            return document_codec._tagged_value("objectid", str(codec.normalize_object_id(data)))
        return original(data)

    document_codec.encode = staticmethod(encode)


def _patch_immutable_deepcopy() -> None:
    """Fix (i): deepcopy() treats ObjectId and datetime as the immutable atoms they are."""
    # mongoeco deep-copies each written document 3-5 times (command boundary, outcome,
    # change payload, commit callback); copy.deepcopy rebuilds every ObjectId and datetime
    # through __reduce_ex__, about half of each copy. Both types are immutable (ObjectId
    # has only __slots__ state set at construction; datetime is immutable), so returning
    # the same object -- what deepcopy already does for str, int, float, bytes -- gives
    # equal, indistinguishable results. Exact classes only (deepcopy dispatches on type).
    import copy
    import datetime

    from bson.objectid import ObjectId as BsonObjectId
    from mongoeco.types import ObjectId

    for cls in (BsonObjectId, ObjectId, datetime.datetime):
        copy._deepcopy_dispatch.setdefault(cls, copy._deepcopy_atomic)


def apply_patches() -> None:
    """Apply every compatibility fix (once), after checking the mongoeco version."""
    from mongoeco.engines import memory

    _check_mongoeco_version()
    if getattr(memory.MemoryEngine, "_embedded_mongo_patched", False):
        return
    _patch_unique_checks(memory)
    _patch_candidate_lookup(memory)
    _patch_buildinfo_alias()
    _patch_not_expression()
    # Before the journal hooks: they wrap (and journal) the patched create/drop_index.
    _patch_prefix_shadow_indexes(memory)
    _patch_journal_hooks(memory)
    # EMBEDDED_MONGO_NO_SPEED_PATCHES=1 (benchmark comparison only, bench/db_raw_probe.py)
    # leaves out the pure speed-ups (g)-(i), which change no result.
    if os.environ.get("EMBEDDED_MONGO_NO_SPEED_PATCHES") != "1":
        _patch_flat_document_paths(memory)
        _patch_codec_scalars()
        _patch_immutable_deepcopy()
    memory.MemoryEngine._embedded_mongo_patched = True


# ---------------------------------------------------------------------------------------
# Server role: the write-ahead journal (durability between dumps).
# ---------------------------------------------------------------------------------------
#
# Every committed write is appended to a journal as a replay-safe record (the document's
# post-image or its deletion, keyed by _id; DDL as the engine call that made it) and the
# journal is fsynced BEFORE the wire reply is sent (group commit: one fsync covers every
# write committed while the previous fsync ran). A dump compacts the journal: it seals the
# current segment, dumps, swaps the dump in, and only then deletes the sealed segments.
# Replaying post-images in commit order over a dump taken at or after the start of the
# journal converges to the acknowledged state (each record sets a document to a state it
# really had; the last one is the final one), so a crash at any point loses nothing.
#
# Chosen over mongoeco's SQLite engine (measured): 300 inserts into a Score-shaped
# collection took 2.4 s, the next 300 took 4.8 s; a profile of 700 inserts spent 97% in
# SQLiteEngine._validate_document_against_unique_indexes, which decodes every stored
# document per insert (_load_documents) for the compound unique index and for _id, and
# even an empty collection stayed at ~130 inserts/s, under the 500/s target before any
# growth.

JOURNAL_SUFFIX = "journal"
_FRAME = struct.Struct("<II")  # payload length, crc32(payload)
JOURNAL_CHUNK = 4 << 20  # segments grow by zero-filled chunks of this size
# DDL engine methods whose successful calls are journaled (replayed by calling them again).
JOURNALED_DDL = (
    "create_collection",
    "create_index",
    "drop_index",
    "drop_indexes",
    "drop_collection",
    "drop_database",
    "rename_collection",
)


def journal_dir(data_dir: Path) -> Path:
    """The journal's directory: a sibling of the data dir, so dump swaps never touch it."""
    return _sibling(data_dir, JOURNAL_SUFFIX)


def _segments(directory: Path) -> list[tuple[int, Path]]:
    """(number, path) of every journal segment, oldest first."""
    if not directory.is_dir():
        return []
    found = []
    for path in directory.glob("*.log"):
        with contextlib.suppress(ValueError):
            found.append((int(path.stem), path))
    return sorted(found)


def _encode_record(record: dict) -> bytes:
    """One framed journal record: length, crc32, BSON of the wire-encoded record."""
    from bson import BSON
    from mongoeco.wire.bson_bridge import encode_wire_value

    payload = BSON.encode(encode_wire_value(record))
    return _FRAME.pack(len(payload), zlib.crc32(payload)) + payload


def scan_segment(data: bytes) -> tuple[list[bytes], int, bool]:
    """Valid record payloads of a segment, their total length, and whether a torn tail follows.

    Stdlib only (the tests use it from the launcher's Python).
    """
    payloads, offset = [], 0
    while offset + _FRAME.size <= len(data):
        length, crc = _FRAME.unpack_from(data, offset)
        payload = data[offset + _FRAME.size : offset + _FRAME.size + length]
        # length 0: the zero-filled preallocated space after the last record.
        if length == 0 or len(payload) != length or zlib.crc32(payload) != crc:
            break
        payloads.append(payload)
        offset += _FRAME.size + length
    return payloads, offset, any(data[offset:])


def read_segment(path: Path) -> tuple[list[dict], int, bool]:
    """Decoded records of a segment, the length of its valid prefix, and whether it is torn."""
    from bson import BSON
    from mongoeco.wire.bson_bridge import decode_wire_value

    payloads, valid, torn = scan_segment(path.read_bytes())
    return [decode_wire_value(BSON(payload).decode()) for payload in payloads], valid, torn


class Journal:
    """Append-only, segmented, group-committed log of committed writes (server role)."""

    def __init__(self, directory: Path, first_segment: int) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.directory = directory
        self.segment = first_segment
        self._pending: list[tuple[int, bytes]] = []
        self._queued = 0
        self._durable = 0
        self._flush_task: Any = None
        self._fds: dict[int, int] = {}
        self._offsets: dict[int, int] = {}
        self._allocated: dict[int, int] = {}
        # One writer thread: the fsync never runs on the event loop.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="journal")
        self.failed: BaseException | None = None

    def append(self, record: dict) -> None:
        """Queue a record (on the loop, at commit time, in commit order)."""
        self._pending.append((self.segment, _encode_record(record)))
        self._queued += 1

    def rotate(self) -> int:
        """Seal the current segment (later records go to a new one); returns the sealed number."""
        sealed = self.segment
        self.segment += 1
        return sealed

    async def sync(self) -> None:
        """Return once every record queued so far is on disk (fsynced)."""
        import asyncio

        target = self._queued
        while self._durable < target:
            if self._flush_task is None or self._flush_task.done():
                self._flush_task = asyncio.ensure_future(self._flush())
            await asyncio.shield(self._flush_task)

    async def _flush(self) -> None:
        import asyncio

        batch, self._pending = self._pending, []
        upto = self._queued
        if batch:
            try:
                await asyncio.get_running_loop().run_in_executor(self._executor, self._write, batch)
            except BaseException as error:
                # The writes are committed in memory but not durable: never acknowledge
                # them, never serve on. The launcher restarts us from the journal.
                self.failed = error
                print(f"embedded_mongo: journal write failed: {error!r}", file=sys.stderr)
                os._exit(70)
        self._durable = upto

    def _write(self, batch: list[tuple[int, bytes]]) -> None:
        """Writer thread: write each segment's records, make every file touched durable."""
        # Segments are preallocated with written zeros, JOURNAL_CHUNK at a time (then one
        # full fsync for the new size), so each group commit overwrites allocated blocks and
        # needs only fdatasync, not a metadata update: measured here 0.1-0.8 ms instead of
        # 1-2.3 ms for append + fsync, which bounds sequential acknowledged writes per second.
        touched: list[int] = []
        for segment, data in batch:
            fd = self._fds.get(segment)
            if fd is None:
                self.directory.mkdir(parents=True, exist_ok=True)
                path = self.directory / f"{segment:08d}.log"
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
                self._fds[segment] = fd
                self._offsets[segment] = 0
                self._allocated[segment] = 0
            offset = self._offsets[segment]
            while offset + len(data) > self._allocated[segment]:
                os.pwrite(fd, bytes(JOURNAL_CHUNK), self._allocated[segment])
                self._allocated[segment] += JOURNAL_CHUNK
                os.fsync(fd)
                _fsync_dir(self.directory)
            os.pwrite(fd, data, offset)
            self._offsets[segment] = offset + len(data)
            if segment not in touched:
                touched.append(segment)
        for segment in touched:
            os.fdatasync(self._fds[segment])

    def discard_through(self, sealed: int) -> None:
        """Delete segments <= sealed (their writes are in the dump just swapped in)."""
        for number, path in _segments(self.directory):
            if number <= sealed:
                fd = self._fds.pop(number, None)
                if fd is not None:
                    os.close(fd)
                path.unlink(missing_ok=True)
        if self.directory.is_dir():
            _fsync_dir(self.directory)

    def close(self) -> None:
        """Close the writer (after a final sync)."""
        self._executor.shutdown(wait=True)
        for fd in self._fds.values():
            os.close(fd)
        self._fds.clear()


# The journal the hooks below feed (server role only; None: no data dir, or replaying).
_JOURNAL: Journal | None = None


def _patch_journal_hooks(memory: Any) -> None:
    """Fix (j): feed every committed write, with its post-image, to the journal."""
    # Three hooks, active only while _JOURNAL is set:
    # * AsyncCollection._should_publish_change_events: mongoeco records a change payload
    #   (operation type, _id, full post-image for insert/update/replace/upsert) for every
    #   written document only when a change stream may read it; otherwise it records a gap
    #   (None). Forcing it on makes every write path record its post-image, including
    #   upserts with server-generated _ids (replay then reproduces the same _id).
    # * MemoryEngine._prepare_committed_changes_locked: called under the engine's lock at
    #   the commit point of every write (single operations and transaction commits), in
    #   commit order, with those payloads: they are journaled there.
    # * the DDL methods in JOURNALED_DDL: journaled after they succeed, as the call itself
    #   (mongoeco records no change for them).
    from mongoeco.api._async.collection import AsyncCollection
    from mongoeco.core.codec import DocumentCodec

    engine_cls = memory.MemoryEngine
    original_publish = AsyncCollection._should_publish_change_events
    original_prepare = engine_cls._prepare_committed_changes_locked

    def _should_publish_change_events(self, *, session=None):
        if _JOURNAL is not None:
            return True
        return original_publish(self, session=session)

    def _prepare_committed_changes_locked(self, payloads):
        if _JOURNAL is not None:
            for payload in payloads:
                if payload is None:
                    # A gap: a document without _id (never stored over the wire, which
                    # adds _id). Refuse to acknowledge what could not be journaled.
                    raise memory.OperationFailure("embedded_mongo: unjournalable write")
                record = {"d": payload["db_name"], "c": payload["coll_name"]}
                if payload["operation_type"] == "delete":
                    record.update(o="del", id=payload["document_key"]["_id"])
                else:
                    record.update(o="put", doc=DocumentCodec.to_public(payload["full_document"]))
                _JOURNAL.append(record)
        return original_prepare(self, payloads)

    def journaled(name: str, original: Any) -> Any:
        async def method(self, *args, **kwargs):
            result = await original(self, *args, **kwargs)
            if _JOURNAL is not None:
                # The session (context) is not replayable; DDL in transactions is not used.
                options = {key: value for key, value in kwargs.items() if key != "context"}
                _JOURNAL.append({"o": "ddl", "m": name, "a": list(args), "k": options})
            return result

        method.__name__ = name
        return method

    AsyncCollection._should_publish_change_events = _should_publish_change_events
    engine_cls._prepare_committed_changes_locked = _prepare_committed_changes_locked
    for name in JOURNALED_DDL:
        setattr(engine_cls, name, journaled(name, getattr(engine_cls, name)))


def _compact_records(records: list[dict]) -> list[dict]:
    """Drop document records superseded by a later record for the same _id."""
    # Only the last state of each document matters, and applying an intermediate one
    # could collide on a unique index with a document whose dumped state is newer.
    # Skipping across a drop is fine (the drop wipes the earlier state anyway); a rename
    # moves documents, so records before it are all kept.
    from mongoeco.core.bson_ordering import bson_engine_key

    kept, seen = [], set()
    for record in reversed(records):
        if record["o"] == "ddl":
            if record["m"] == "rename_collection":
                seen.clear()
            kept.append(record)
            continue
        key = (
            record["d"],
            record["c"],
            bson_engine_key(record["id"] if record["o"] == "del" else record["doc"]["_id"]),
        )
        if key in seen:
            continue
        seen.add(key)
        kept.append(record)
    kept.reverse()
    return kept


async def replay(client: Any, data_dir: Path) -> int:
    """Apply the journal's segments (after restore()); returns the records applied."""
    records: list[dict] = []
    for _, path in _segments(journal_dir(data_dir)):
        found, valid, torn = read_segment(path)
        records += found
        if torn:
            # Only the unfinished last batch before a crash can be torn: it was never
            # acknowledged (the reply waits for its fsync). Cut it off (and the unused
            # preallocated space) so the segment stays readable.
            print(f"embedded_mongo: ignoring a torn journal tail in {path}", file=sys.stderr)
        if path.stat().st_size > valid:
            with open(path, "r+b") as handle:
                handle.truncate(valid)
                os.fsync(handle.fileno())
    engine = client._engine
    compacted = _compact_records(records)
    batch: list[dict] = []

    async def apply_documents() -> None:
        # Consecutive document records of one collection, at most one per _id (compacted):
        # delete every touched _id, then insert the post-images -- two commands per
        # INSERT_BATCH records instead of one per record (~1,000 records/s that way).
        if not batch:
            return
        collection = client[batch[0]["d"]][batch[0]["c"]]
        ids = [r["id"] if r["o"] == "del" else r["doc"]["_id"] for r in batch]
        documents = [r["doc"] for r in batch if r["o"] == "put"]
        batch.clear()
        await collection.delete_many({"_id": {"$in": ids}})
        if documents:
            try:
                await collection.insert_many(documents, ordered=False)
            except Exception as error:  # noqa: BLE001
                # Only possible if the dump holds an unacknowledged write that conflicts.
                print(
                    f"embedded_mongo: REPLAY CONFLICT in {collection.name}: {error}",
                    file=sys.stderr,
                )

    for record in compacted:
        if record["o"] != "ddl":
            if batch and (
                (batch[0]["d"], batch[0]["c"]) != (record["d"], record["c"])
                or len(batch) >= INSERT_BATCH
            ):
                await apply_documents()
            batch.append(record)
            continue
        await apply_documents()
        args, kwargs = record["a"], record["k"]
        if record["m"] in ("create_index", "drop_index") and isinstance(args[2], list):
            args[2] = [tuple(item) if isinstance(item, list) else item for item in args[2]]
        try:
            await getattr(engine, record["m"])(*args, **kwargs)
        except Exception as error:  # noqa: BLE001
            # Replayed over a dump that already holds its effect (exists / not found).
            print(f"embedded_mongo: replay {record['m']}{tuple(args)}: {error}", file=sys.stderr)
    await apply_documents()
    return len(compacted)


# ---------------------------------------------------------------------------------------
# Server role: persistence in mongodump layout.
# ---------------------------------------------------------------------------------------


def _sibling(data_dir: Path, suffix: str) -> Path:
    """A sibling path of the data directory (same filesystem, so renames are atomic)."""
    return data_dir.with_name(f"{data_dir.name}.{suffix}")


def _recover_data_dir(data_dir: Path) -> None:
    """Finish or undo a dump swap that a crash interrupted."""
    new, old = _sibling(data_dir, "new"), _sibling(data_dir, "old")
    if not data_dir.exists():
        if (new / MANIFEST).exists():
            new.rename(data_dir)
        elif old.exists():
            old.rename(data_dir)
    shutil.rmtree(new, ignore_errors=True)
    shutil.rmtree(old, ignore_errors=True)


def _fsync_dir(path: Path) -> None:
    """Persist a directory's entries (renames, new files)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_durably(path: Path, data: bytes) -> None:
    """Write a file and fsync it (the swap below must only publish complete files)."""
    with open(path, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())


async def dump(client: Any, data_dir: Path, journal: Journal | None = None) -> None:
    """Write every collection as <db>/<coll>.bson + .metadata.json, swapped in atomically.

    With a journal: seal its current segment first (everything in it is committed, so in
    the dump), and delete the sealed segments only after the swap. A crash in between
    replays them over the new dump, which is harmless (post-images, in order).
    Never blocks the event loop for long: it yields every DUMP_YIELD_EVERY documents and
    writes/fsyncs files on a worker thread.
    """
    import asyncio
    import json

    from bson import BSON, json_util
    from mongoeco.wire.bson_bridge import encode_wire_value

    sealed = journal.rotate() if journal is not None else None
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    new, old = _sibling(data_dir, "new"), _sibling(data_dir, "old")
    _recover_data_dir(data_dir)
    new.mkdir()
    options = json_util.JSONOptions(json_mode=json_util.JSONMode.CANONICAL)
    for db_name in await client.list_database_names():
        if db_name in SKIPPED_DATABASES:
            continue
        database = client[db_name]
        listing = await database.command({"listCollections": 1})
        (new / db_name).mkdir()
        for info in listing["cursor"]["firstBatch"]:
            name = info["name"]
            if name.startswith("system."):
                continue
            collection = database[name]
            chunks = []
            if info.get("type", "collection") == "collection":
                async for document in collection.find({}):
                    chunks.append(BSON.encode(encode_wire_value(document)))
                    if len(chunks) % DUMP_YIELD_EVERY == 0:
                        await asyncio.sleep(0)
            await asyncio.to_thread(
                _write_durably, new / db_name / f"{name}.bson", b"".join(chunks)
            )
            metadata = {
                "collectionName": name,
                "type": info.get("type", "collection"),
                "options": info.get("options", {}),
                "indexes": await collection.list_indexes().to_list(),
            }
            text = json_util.dumps(encode_wire_value(metadata), json_options=options, indent=1)
            _write_durably(new / db_name / f"{name}.metadata.json", (text + "\n").encode())
        _fsync_dir(new / db_name)
    manifest = {"format": "mongodump-layout", "mongoeco": MONGOECO_VERSION}
    _write_durably(new / MANIFEST, (json.dumps(manifest) + "\n").encode())
    _fsync_dir(new)
    # Swap: the last good dump stays on disk (as DIR or DIR.old) until DIR.new is in place;
    # _recover_data_dir() completes an interrupted swap at the next start or dump.
    if data_dir.exists():
        data_dir.rename(old)
    new.rename(data_dir)
    _fsync_dir(data_dir.parent)
    shutil.rmtree(old, ignore_errors=True)
    if journal is not None and sealed is not None:
        if os.environ.get("EMBEDDED_MONGO_FAULT") == "after-dump-swap":
            # Test fault point: crash between the swap and the journal truncation.
            os._exit(86)
        await journal.sync()
        journal.discard_through(sealed)


async def restore(client: Any, data_dir: Path) -> None:
    """Load a dump written by dump() (or mongodump): collections, indexes, then documents."""
    from bson import decode_all, json_util
    from mongoeco.wire.bson_bridge import decode_wire_value

    _recover_data_dir(data_dir)
    if not data_dir.is_dir():
        return
    for db_dir in sorted(p for p in data_dir.iterdir() if p.is_dir()):
        if db_dir.name in SKIPPED_DATABASES or db_dir.name.startswith("."):
            continue
        database = client[db_dir.name]
        for meta_path in sorted(db_dir.glob("*.metadata.json")):
            meta = decode_wire_value(json_util.loads(meta_path.read_text()))
            name = meta.get("collectionName") or meta_path.name[: -len(".metadata.json")]
            await database.command({"create": name, **meta.get("options", {})})
            # Indexes before documents (unlike mongorestore): mongoeco 4.11.0 builds a unique
            # index over existing documents by comparing every pair (O(n^2)), while inserts
            # into an indexed collection cost O(1) each with the fixes above.
            indexes = [
                {k: v for k, v in index.items() if k not in ("v", "ns")}
                for index in meta.get("indexes", [])
                if index.get("name") != "_id_"
            ]
            if indexes:
                await database.command({"createIndexes": name, "indexes": indexes})
            collection = database[name]
            bson_path = db_dir / f"{name}.bson"
            documents = [
                decode_wire_value(raw)
                for raw in (decode_all(bson_path.read_bytes()) if bson_path.exists() else [])
            ]
            for start in range(0, len(documents), INSERT_BATCH):
                await collection.insert_many(documents[start : start + INSERT_BATCH])


# ---------------------------------------------------------------------------------------
# Server role: the process.
# ---------------------------------------------------------------------------------------


def _parent_alive(parent_pid: int) -> bool:
    """True while the launcher that started us runs (reparenting means it died)."""
    if os.getppid() != parent_pid:
        return False
    try:
        os.kill(parent_pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _write_port_file(path: Path, port: int) -> None:
    """Publish the bound port atomically (the launcher polls for the file)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(f"{port}\n")
    os.replace(tmp, path)


def _journaling_server_class() -> type:
    """The wire server, answering each request only once its writes are journaled."""
    from mongoeco.wire import AsyncMongoEcoProxyServer

    class JournalingProxyServer(AsyncMongoEcoProxyServer):
        async def _dispatch_wire_request(self, header, payload, *, connection):
            response = await super()._dispatch_wire_request(header, payload, connection=connection)
            # Whatever this request committed (even a failed ordered insert commits its
            # first documents) is durable before the reply leaves: the acknowledgement.
            if _JOURNAL is not None:
                await _JOURNAL.sync()
            return response

    return JournalingProxyServer


async def serve(args: argparse.Namespace) -> int:
    """Run the wire server until a signal or the parent's death, dumping on the way out."""
    import asyncio

    global _JOURNAL
    from mongoeco import AsyncMongoClient
    from mongoeco.engines.memory import MemoryEngine

    if os.environ.get("EMBEDDED_MONGO_NO_PATCHES") == "1":
        # Benchmark comparison only (bench/db_raw_probe.py).
        _check_mongoeco_version()
        print("embedded_mongo: patches DISABLED", file=sys.stderr, flush=True)
    else:
        apply_patches()
    data_dir = Path(args.data_dir).resolve() if args.data_dir else None
    # Every committed write copies the engine's change-stream outbox (up to
    # change_log_max_entries, default 10,000) in _prepare_committed_changes_locked, so the
    # per-write cost grew with the number of writes until that cap. The app opens no
    # change streams; a 1,000-entry resume window keeps that copy ~10x cheaper.
    client = AsyncMongoClient(MemoryEngine(change_log_max_entries=CHANGE_LOG_ENTRIES))
    # The server gets our client (so it does not own the engine): closing the listener
    # then leaves the data in place for the final dump.
    async with client:
        journal = None
        if data_dir is not None:
            await restore(client, data_dir)
            replayed = await replay(client, data_dir)
            if replayed:
                print(f"embedded_mongo: replayed {replayed} journal records", file=sys.stderr)
            segments = _segments(journal_dir(data_dir))
            journal = Journal(journal_dir(data_dir), (segments[-1][0] + 1) if segments else 1)
            if os.environ.get("EMBEDDED_MONGO_NO_PATCHES") != "1":
                _JOURNAL = journal
        # asyncio.start_server binds with SO_REUSEADDR (its default on POSIX), so a
        # restarted server can take the same --port at once.
        server = _journaling_server_class()(client=client, host="127.0.0.1", port=args.port)
        address = await server.start()
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stopping.set)
        _write_port_file(Path(args.port_file), address.port)
        if os.environ.get("EMBEDDED_MONGO_FAULT") == "die-after-start":
            # Test fault point: a database that keeps dying (the launcher's give-up path).
            loop.call_later(1.5, os._exit, 87)

        async def watch_parent() -> None:
            while _parent_alive(args.parent_pid):
                await asyncio.sleep(1.0)
            stopping.set()

        async def dump_periodically() -> None:
            # Wait on `stopping` rather than being cancelled: a dump in progress finishes.
            while not stopping.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), args.dump_interval)
                    return
                await dump(client, data_dir, journal)

        watcher = None
        if args.parent_pid is not None:
            watcher = asyncio.create_task(watch_parent())
        dumper = None
        if data_dir is not None and args.dump_interval > 0:
            dumper = asyncio.create_task(dump_periodically())
        await stopping.wait()
        if watcher is not None:
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)
        if dumper is not None:
            await dumper
        # Close first so every acknowledged write is in the final dump.
        await server.close()
        if data_dir is not None:
            await dump(client, data_dir, journal)
            journal.close()
            _JOURNAL = None
    return 0


# ---------------------------------------------------------------------------------------
# Launcher role (Python 3.11, stdlib + pymongo).
# ---------------------------------------------------------------------------------------


def mongoeco_python() -> str:
    """Interpreter of the server role: $MONGOECO_PYTHON or <repo>/.venv-mongo/bin/python."""
    return os.environ.get("MONGOECO_PYTHON") or str(DEFAULT_PYTHON)


class EmbeddedMongo:
    """The embedded server as a child process; a context manager; .uri once started."""

    def __init__(
        self,
        data_dir: str | os.PathLike | None = None,
        *,
        dump_interval: float | None = None,
        env: dict[str, str] | None = None,
        port: int = 0,
    ) -> None:
        self.data_dir = Path(data_dir).resolve() if data_dir is not None else None
        self.dump_interval = dump_interval
        self.port = port
        self.env = env
        self.uri: str | None = None
        self.process: subprocess.Popen | None = None
        self._workdir: Path | None = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def pid(self) -> int | None:
        """Process id of the server role, None before start()."""
        return self.process.pid if self.process is not None else None

    def _log_tail(self, limit: int = 4000) -> str:
        """The end of the server's stderr/stdout, for error messages."""
        if self._workdir is None:
            return ""
        with contextlib.suppress(OSError):
            return (self._workdir / "server.log").read_text(errors="replace")[-limit:]
        return ""

    def _fail(self, reason: str) -> RuntimeError:
        """Stop whatever started and build the error to raise."""
        tail = self._log_tail()
        self.stop()
        return RuntimeError(
            f"embedded MongoDB {reason} (interpreter {mongoeco_python()}); "
            f"server output:\n{tail or '(none)'}"
        )

    def start(self) -> str:
        """Spawn the server role, wait for its port and a ping; returns the URI."""
        if self.process is not None:
            assert self.uri is not None
            return self.uri
        python = mongoeco_python()
        if not Path(python).exists():
            raise RuntimeError(
                f"embedded MongoDB interpreter {python} not found: create .venv-mongo "
                "(make venv) or set MONGOECO_PYTHON, or set MONGODB_URI to a real MongoDB"
            )
        self._workdir = Path(tempfile.mkdtemp(prefix="embedded-mongo-"))
        port_file = self._workdir / "port"
        command = [
            python,
            str(Path(__file__).resolve()),
            "serve",
            "--port-file",
            str(port_file),
            "--parent-pid",
            str(os.getpid()),
        ]
        if self.data_dir is not None:
            command += ["--data-dir", str(self.data_dir)]
        if self.dump_interval is not None:
            command += ["--dump-interval", str(self.dump_interval)]
        if self.port:
            command += ["--port", str(self.port)]
        env = dict(os.environ)
        env.update(self.env or {})
        with open(self._workdir / "server.log", "wb") as log:
            # Own session: a terminal Ctrl-C reaches only the launcher, which then stops
            # the server itself (after its final dump).
            self.process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env=env,
                cwd=str(REPO),
            )
        atexit.register(self.stop)
        deadline = time.monotonic() + START_TIMEOUT
        while not port_file.exists():
            if self.process.poll() is not None:
                raise self._fail(f"exited with status {self.process.returncode} on start")
            if time.monotonic() > deadline:
                raise self._fail(f"did not listen within {START_TIMEOUT:.0f} s")
            time.sleep(0.05)
        self.port = int(port_file.read_text())
        self.uri = f"mongodb://127.0.0.1:{self.port}/?{URI_OPTIONS}"
        self._wait_for_ping(deadline)
        return self.uri

    def restart(self) -> str:
        """Start a dead server again on the same port with the same data; returns the URI."""
        self.stop()
        self.process = None
        return self.start()

    def _wait_for_ping(self, deadline: float) -> None:
        """Poll until the server answers `ping` (or died / the deadline passed)."""
        from pymongo import MongoClient
        from pymongo.errors import PyMongoError

        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise self._fail("exited before answering ping")
            client = MongoClient(self.uri, serverSelectionTimeoutMS=1000)
            try:
                client.admin.command("ping")
                return
            except PyMongoError as error:
                last_error = error
            finally:
                client.close()
        raise self._fail(f"did not answer ping within {START_TIMEOUT:.0f} s ({last_error})")

    def stop(self) -> None:
        """SIGTERM, wait for the final dump (30 s), then SIGKILL; idempotent."""
        process, self.process = self.process, None
        atexit.unregister(self.stop)
        if process is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None


def _exit_status(returncode: int) -> int:
    """Shell convention: a child killed by signal N exits 128 + N."""
    return 128 - returncode if returncode < 0 else returncode


def _stop_child(child: subprocess.Popen) -> None:
    """SIGTERM the child command, SIGKILL it after STOP_TIMEOUT."""
    if child.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            child.terminate()
        try:
            child.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _supervise(mongo: EmbeddedMongo, child: subprocess.Popen) -> int:
    """Wait for the child; restart the database on the same port if it dies.

    Gives up (stops the child, returns 1) when the database cannot be restarted, dies more
    than MAX_RESTARTS times within RESTART_WINDOW seconds, or has no data dir (a fresh
    in-memory server would silently serve an empty database).
    """
    deaths: list[float] = []
    while True:
        try:
            return child.wait(SUPERVISE_POLL)
        except subprocess.TimeoutExpired:
            pass
        process = mongo.process
        if process is None or process.poll() is None:
            continue
        noticed = time.monotonic()
        status = _exit_status(process.returncode)
        now = time.monotonic()
        deaths = [t for t in deaths if now - t < RESTART_WINDOW] + [now]
        reason = None
        if mongo.data_dir is None:
            reason = "it has no data dir to restart from"
        elif len(deaths) > MAX_RESTARTS:
            reason = f"it died {len(deaths)} times within {RESTART_WINDOW:.0f} s"
        else:
            tail = mongo._log_tail(1500).strip()
            if tail:
                print(f"embedded_mongo: its last output:\n{tail}", file=sys.stderr)
            print(
                f"embedded_mongo: the database (pid {process.pid}) died with status {status}; "
                f"restarting it on port {mongo.port} from {mongo.data_dir}",
                file=sys.stderr,
                flush=True,
            )
            try:
                mongo.restart()
            except RuntimeError as error:
                reason = f"the restart failed: {error}"
            else:
                print(
                    f"embedded_mongo: the database is back (pid {mongo.pid}) after "
                    f"{time.monotonic() - noticed:.1f} s",
                    file=sys.stderr,
                    flush=True,
                )
                continue
        print(
            f"embedded_mongo: GIVING UP: the database (pid {process.pid}) died with status "
            f"{status} and {reason}; stopping {' '.join(child.args)}",
            file=sys.stderr,
            flush=True,
        )
        _stop_child(child)
        return 1


def run_command(command: list[str], data_dir: str | None) -> int:
    """Run CMD with MONGODB_URI pointing at an embedded server (unless already set)."""
    if not command:
        raise SystemExit("embedded_mongo run: missing command after --")
    if os.environ.get("MONGODB_URI"):
        return _exit_status(subprocess.call(command))

    def terminate(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    # Until the child runs, SIGTERM unwinds normally so the server gets stopped.
    signal.signal(signal.SIGTERM, terminate)
    with EmbeddedMongo(data_dir) as mongo:
        env = dict(os.environ)
        env.update(
            MONGODB_URI=mongo.uri or "",
            MONGODB_EMBEDDED="1",
            MONGODB_EMBEDDED_PID=str(mongo.pid),
            # Non-empty when the server journals (bench/db.py reports which path it measured).
            MONGODB_EMBEDDED_DATA_DIR=str(mongo.data_dir or ""),
        )
        child = subprocess.Popen(command, env=env)
        # The child shares our terminal's process group and gets Ctrl-C itself; we only
        # wait for it (restarting the database if it dies), then stop the server cleanly.
        # SIGTERM (e.g. from a supervisor) is passed on to the child.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, lambda signum, frame: child.send_signal(signum))
        returncode = _supervise(mongo, child)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    return _exit_status(returncode)


def main(argv: list[str] | None = None) -> int:
    """Command line of both roles: `serve` (server) and `run` (launcher)."""
    parser = argparse.ArgumentParser(prog="embedded_mongo", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="role", required=True)
    serve_parser = sub.add_parser("serve", help="server role (Python 3.13 + mongoeco)")
    serve_parser.add_argument("--port-file", required=True)
    serve_parser.add_argument("--data-dir")
    serve_parser.add_argument("--dump-interval", type=float, default=DEFAULT_DUMP_INTERVAL)
    serve_parser.add_argument("--parent-pid", type=int)
    serve_parser.add_argument("--port", type=int, default=0, help="0: any free port")
    run_parser = sub.add_parser("run", help="launcher: run CMD against an embedded server")
    run_parser.add_argument("--data-dir")
    run_parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    if args.role == "serve":
        import asyncio

        return asyncio.run(serve(args))
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    return run_command(command, args.data_dir)


if __name__ == "__main__":
    sys.exit(main())
