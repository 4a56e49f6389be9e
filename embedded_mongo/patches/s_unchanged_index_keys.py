"""FIX(s): an update re-indexes only the indexes whose key fields it changed.

mongoeco behaviour: MemoryEngine.update_with_operation takes the old document out of every
index of the collection and puts the new one back (two _update_indexes_locked calls, each
recording an undo entry per key), even when the update left every indexed field as it was. A
`$set` of one field of a user re-indexes `_id`, `email` and (`role`, `date_joined`): in a
py-spy profile of that update, index upkeep was 27 % of the engine's time.
Why the app cannot avoid it: most writes of the request path are such updates (the session
list at login, both claims of a select), and an update cannot tell the server which indexes
it leaves alone.

The two calls are made from update_with_operation one after the other, with nothing between
them that reads an index (the storage write, and a storage-key move when `_id` changes). The
old document's call is held back; when the new document's call follows from the same
activation for the same storage key, only the indexes whose key could differ get both calls,
through the same original code (so their undo entries are recorded as before). An index is
left alone only when it is a plain ascending/descending index (not TTL, hashed, text, geo or
wildcard), every field of it is a top-level name whose value is absent from both documents,
the same object in both, or of the same non-container type and equal, and the document's
membership of the index (sparse or partial) is the same: then the index holds exactly the
entries the two calls would leave. Any other call from the same activation lets the held call
go through first, as it would have. A held call still there when a call comes from another
activation was cut off by an exception, after which the update's rollback restores the old
document: it is dropped, which leaves the index as the old document needs it. Every other
caller of _update_indexes_locked is untouched.
"""

from __future__ import annotations

import sys
from typing import Any

_MISSING = object()
_CONTAINERS = (list, dict, tuple, set)


def apply(memory: Any) -> None:
    """Fix (s): index upkeep of an update only for the indexes whose key fields changed."""
    engine_cls = memory.MemoryEngine
    original = engine_cls._update_indexes_locked
    update_code = engine_cls.update_with_operation.__code__
    in_virtual_index = memory.document_in_virtual_index

    def unchanged(index, old: dict, new: dict) -> bool:
        if index.expire_after_seconds is not None:
            return False
        # Plain ascending/descending keys only: a hashed, text or geo key, or a wildcard
        # ("$**") that covers fields it does not name, takes the original upkeep.
        if not all(type(direction) is int and direction in (1, -1) for _, direction in index.key):
            return False
        for field in index["fields"]:
            if not field or "." in field or field.startswith("$"):
                return False
            before, after = old.get(field, _MISSING), new.get(field, _MISSING)
            if before is after:
                continue
            if (
                before is _MISSING
                or after is _MISSING
                or type(before) is not type(after)
                or isinstance(before, _CONTAINERS)
                or before != after
            ):
                return False
        return in_virtual_index(old, index) == in_virtual_index(new, index)

    def _update_indexes_locked(self, db_name, coll_name, storage_key, document, **kwargs):
        caller = sys._getframe(1)
        held = self.__dict__.pop("_fix_s_held", None)
        if held is not None and held[0] is not caller:
            held = None  # cut off by an exception in another activation: see above
        action = kwargs.get("action", "insert")
        paired = caller.f_code is update_code and type(document) is dict
        if paired and action == "delete" and held is None:
            self._fix_s_held = (caller, db_name, coll_name, storage_key, document, kwargs)
            return None
        if paired and action == "insert" and held is not None:
            _, old_db, old_coll, old_key, old_document, old_kwargs = held
            if (old_db, old_coll, old_key) == (db_name, coll_name, storage_key) and all(
                old_kwargs.get(view) is kwargs.get(view)
                for view in ("indexes_view", "index_data_view")
            ):
                view = kwargs.get("indexes_view")
                indexes = (self._indexes if view is None else view).get(db_name, {})
                indexes = indexes.get(coll_name, [])
                changed = [ix for ix in indexes if not unchanged(ix, old_document, document)]
                if not changed:
                    return None
                if len(changed) < len(indexes):
                    only = {db_name: {coll_name: changed}}
                    old_kwargs = {**old_kwargs, "indexes_view": only}
                    kwargs = {**kwargs, "indexes_view": only}
                original(self, old_db, old_coll, old_key, old_document, **old_kwargs)
                return original(self, db_name, coll_name, storage_key, document, **kwargs)
        # Anything else (another caller, a document of another type, an upsert's new
        # document, a pair for two storage keys): this activation's held call goes first.
        if held is not None:
            original(self, *held[1:5], **held[5])
        return original(self, db_name, coll_name, storage_key, document, **kwargs)

    _update_indexes_locked.original = original
    engine_cls._update_indexes_locked = _update_indexes_locked
