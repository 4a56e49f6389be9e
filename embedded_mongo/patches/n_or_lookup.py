"""FIX(n): a top-level $or whose every branch can use an index reads only those branches.

mongoeco behaviour: its planner (find_usable_index) looks for an index in an equality or in
the clauses of an $and, never inside an $or, so {"$or": [{sender: a, recipient: b},
{sender: b, recipient: a}]} scans the whole collection, however selective each branch is.
Why the app cannot avoid it: a conversation is both directions of a pair (chat.services'
list_messages and conversations, Django's Q(...) | Q(...)); one query per direction would
double the round trips and merge pages in the app.

Exactness: a document matches an $or only if it matches one of its branches, and the engine's
own lookup for a branch (the chain below: the engine's equality lookup, FIX(k), the
compound-equality lookup, FIX(l)'s prefix indexes) returns a superset of that branch's
matches, checked against the branch's own plan (query_can_use_index: sparse/partial
indexes only where the branch implies them). The union is therefore a superset of the
$or's matches; the caller re-matches every candidate against the whole filter. The union is
returned without an index map, so the engine orders it by the collection's insertion order
(MemoryCollection.ordered_keys): the order of the full scan it replaces. If any branch has
no usable index, the scan stays.
"""

from __future__ import annotations

from typing import Any


def apply(memory: Any) -> None:
    """Patch MemoryEngine._indexed_candidate_storage_keys_for_plan_locked (after the others)."""
    from mongoeco.core.query_plan import OrCondition

    engine_cls = memory.MemoryEngine
    original_indexed = engine_cls._indexed_candidate_storage_keys_for_plan_locked

    def _indexed_candidate_storage_keys_for_plan_locked(
        self, indexes, index_data, query_plan, *, dialect, collation
    ):
        found = original_indexed(
            self, indexes, index_data, query_plan, dialect=dialect, collation=collation
        )
        if found is not None or collation is not None:
            return found
        clauses = (
            query_plan.clauses if isinstance(query_plan, memory.AndCondition) else (query_plan,)
        )
        for clause in clauses:
            if not isinstance(clause, OrCondition) or not clause.clauses:
                continue
            keys = set()
            for branch in clause.clauses:
                # Through the whole chain (this patch included, for a nested $or).
                candidates = self._indexed_candidate_storage_keys_for_plan_locked(
                    indexes, index_data, branch, dialect=dialect, collation=None
                )
                if candidates is None:
                    break
                keys.update(candidates.storage_keys)
            else:
                return memory._MemoryIndexedCandidates(keys)
        return None

    engine_cls._indexed_candidate_storage_keys_for_plan_locked = (
        _indexed_candidate_storage_keys_for_plan_locked
    )
