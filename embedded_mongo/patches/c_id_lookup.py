"""FIX(c): a filter on _id (equality or $in) reads only the documents stored under those ids.

mongoeco behaviour: MemoryEngine._candidate_items_for_plan_locked answers an _id equality
from storage only when the document exists; for an absent _id (every upsert that inserts,
every update/delete of a missing id) and for {"_id": {"$in": [...]}} it scans every document.
Why the app cannot avoid it: these are the ORM's and the driver's own queries: save()
updates by _id, deletes go by pk__in, bulk updates by _id $in, upserts of a new _id (and the
journal's replay, embedded_mongo/persistence.py, deletes by _id $in before re-inserting).
"""

from __future__ import annotations

from typing import Any

from embedded_mongo.patches._support import simple_id


def apply(memory: Any) -> None:
    """Patch MemoryEngine._candidate_items_for_plan_locked."""
    from mongoeco.core.query_plan import InCondition

    engine_cls = memory.MemoryEngine
    original_candidates = engine_cls._candidate_items_for_plan_locked

    # FIX(c): an update/upsert/delete/find filtered by _id equality whose document is
    # absent fell back to scanning every document. Every matching document must have an
    # _id BSON-equal to the looked-up value; for a simple_id() value that means the same
    # storage key, and that key is absent, so no document can match. With a collation the
    # original path is kept (string _id comparison may then be case-insensitive).
    def _candidate_items_for_plan_locked(self, coll, query_plan, **kwargs):
        if kwargs.get("collation") is None:
            id_lookup = self._direct_id_lookup_from_plan(query_plan)
            if (
                id_lookup is not None
                and simple_id(id_lookup)
                and self._storage_key(id_lookup) not in coll
            ):
                return []
            in_values = _id_in_values(query_plan)
            if in_values is not None and all(simple_id(value) for value in in_values):
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

    engine_cls._candidate_items_for_plan_locked = _candidate_items_for_plan_locked
