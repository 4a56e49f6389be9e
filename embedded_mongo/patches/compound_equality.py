"""Compound-equality lookup (no FIX letter of its own; it rests on FIX(b)'s exactness argument).

mongoeco behaviour: MemoryEngine._indexed_candidate_storage_keys_for_plan_locked (through
find_usable_index) answers an equality only from an index whose whole key is that one field,
so a filter with an equality on every field of a compound index (mentee=a AND mentor=b)
scans the collection.
Why the app cannot avoid it: Django's update_or_create/get on a unique pair (a Score's
mentee_email and mentor_email) sends exactly that filter, and the pair's only index is the
compound unique one.
"""

from __future__ import annotations

from typing import Any

from embedded_mongo.patches._support import irregular_marks, mark_key, scalar_types


def apply(memory: Any) -> None:
    """Patch MemoryEngine._indexed_candidate_storage_keys_for_plan_locked (before the rest)."""
    engine_cls = memory.MemoryEngine
    original_indexed = engine_cls._indexed_candidate_storage_keys_for_plan_locked
    scalars = scalar_types(memory)

    # Compound-equality lookup: filters such as filter(mentee=a, mentor=b) (Django's
    # update_or_create/get on a unique pair) only used single-field indexes and otherwise
    # scanned. A compound index the engine itself deems usable for the plan
    # (query_can_use_index: not hidden, ordered keys, sparse/partial filter implied) whose
    # every field has an equality clause with a plain scalar in the top-level $and can
    # answer it from its MemoryIndexMap, with the exactness argument of FIX(b): no
    # irregular document was ever indexed, so each document's map key is its only value
    # tuple. The returned keys are still re-matched against the full filter by the caller.
    def _indexed_candidate_storage_keys_for_plan_locked(
        self, indexes, index_data, query_plan, *, dialect, collation
    ):
        if collation is None and isinstance(query_plan, memory.AndCondition):
            equalities = {}
            for clause in query_plan.clauses:
                if (
                    isinstance(clause, memory.EqualsCondition)
                    and not clause.null_matches_undefined
                    and isinstance(clause.value, scalars)
                ):
                    equalities.setdefault(clause.field, clause.value)
            for index in indexes:
                fields = index["fields"]
                if (
                    len(fields) < 2
                    or not all(field in equalities for field in fields)
                    or index.get("collation") is not None
                    or mark_key(index) in irregular_marks(self)
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
        return original_indexed(
            self, indexes, index_data, query_plan, dialect=dialect, collation=collation
        )

    engine_cls._indexed_candidate_storage_keys_for_plan_locked = (
        _indexed_candidate_storage_keys_for_plan_locked
    )
