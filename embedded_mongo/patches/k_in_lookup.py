"""FIX(k): {"f": {"$in": [v1, v2, ...]}} is answered from f's single-field index.

mongoeco behaviour: its planner (find_usable_index) uses an index for an equality only, so an
$in on an indexed field scans the whole collection.
Why the app cannot avoid it: Django's email__in (a mentee's match list reads every listed
mentor; the services use plain $in / email__in) is the natural query, and rewriting it as
one equality per value costs one round trip per value.
"""

from __future__ import annotations

from typing import Any

from embedded_mongo.patches._support import scalar_types


def apply(memory: Any) -> None:
    """Patch MemoryEngine._indexed_candidate_storage_keys_for_plan_locked (after the engine)."""
    from mongoeco.core.query_plan import InCondition

    engine_cls = memory.MemoryEngine
    original_indexed = engine_cls._indexed_candidate_storage_keys_for_plan_locked
    scalars = scalar_types(memory)

    # FIX(k): {"f": {"$in": [v1, v2, ...]}} (Django's email__in: a mentee's match list reads
    # every listed mentor) scanned the whole collection even where f has an ascending
    # single-field index: the engine's planner uses an index for an equality only. With plain
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
                or not all(type(value) in scalars for value in clause.values)
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

    def _indexed_candidate_storage_keys_for_plan_locked(
        self, indexes, index_data, query_plan, *, dialect, collation
    ):
        found = original_indexed(
            self, indexes, index_data, query_plan, dialect=dialect, collation=collation
        )
        if found is None and collation is None:
            found = _in_lookup(self, indexes, index_data, query_plan, dialect=dialect)
        return found

    engine_cls._indexed_candidate_storage_keys_for_plan_locked = (
        _indexed_candidate_storage_keys_for_plan_locked
    )
