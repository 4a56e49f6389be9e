"""The three objectives of a round over plain matrices (see the package docstring).

Every solver returns (row, column) pairs in which each row appears at most once, column j
at most capacities[j] times, only usable cells (scored and allowed) and every pinned pair.
Pinned pairs are placed first (their seats leave the free capacity) and the rest of the
cohort is solved around them.
"""

import heapq
from collections import deque
from collections.abc import Sequence

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import maximum_bipartite_matching

OBJECTIVES = ("total", "stable", "fair")

# A pair not in anyone's list: sorts after every real rank.
UNRANKED = np.iinfo(np.int32).max


class InvalidPinError(ValueError):
    """A pinned pair the round cannot honour (unusable cell, mentee pinned twice, or more
    pins on a mentor than free seats)."""


def usable_cells(scores: np.ndarray, allowed: np.ndarray | None = None) -> np.ndarray:
    usable = ~np.isnan(np.asarray(scores, dtype=np.float64))
    if allowed is not None:
        usable &= np.asarray(allowed, dtype=bool)
    return usable


def mentee_ranks(
    scores: np.ndarray, usable: np.ndarray, shortlists: Sequence[Sequence[int]] = ()
) -> np.ndarray:
    """rank[i, j] (1 = best) of mentor j in mentee i's own order: the usable shortlisted
    mentors in shortlist order, then the other usable ones by score (higher first, lower
    column on ties). UNRANKED where the cell is not usable."""
    n, m = usable.shape
    ranks = np.full((n, m), UNRANKED, dtype=np.int64)
    if n == 0 or m == 0:
        return ranks
    position = np.full((n, m), np.iinfo(np.int32).max, dtype=np.int64)
    for i, shortlist in enumerate(shortlists):
        for p, j in enumerate(shortlist):
            position[i, j] = min(position[i, j], p)
    cols = np.broadcast_to(np.arange(m), (n, m))
    # np.lexsort sorts by the last key first: unusable last, then shortlist position, then
    # score descending, then column.
    neg = np.where(usable, -np.nan_to_num(scores, nan=0.0), 0.0)
    order = np.lexsort((cols, neg, position, ~usable), axis=-1)
    ranks_sorted = np.broadcast_to(np.arange(1, m + 1), (n, m))
    np.put_along_axis(ranks, order, ranks_sorted, axis=1)
    ranks[~usable] = UNRANKED
    return ranks


def mentor_ranks(scores: np.ndarray, usable: np.ndarray) -> np.ndarray:
    """mrank[i, j] (1 = best) of mentee i in mentor j's order: by score, higher first, lower
    row on ties (a mentor's preferences are the scores). UNRANKED where not usable."""
    n, m = usable.shape
    ranks = np.full((n, m), UNRANKED, dtype=np.int64)
    if n == 0 or m == 0:
        return ranks
    rows = np.broadcast_to(np.arange(n)[:, None], (n, m))
    neg = np.where(usable, -np.nan_to_num(scores, nan=0.0), 0.0)
    order = np.lexsort((rows, neg, ~usable), axis=0)
    np.put_along_axis(ranks, order, np.broadcast_to(np.arange(1, n + 1)[:, None], (n, m)), 0)
    ranks[~usable] = UNRANKED
    return ranks


def _place_pins(
    usable: np.ndarray, capacities: Sequence[int], pinned: Sequence[tuple[int, int]]
) -> tuple[list[tuple[int, int]], np.ndarray, np.ndarray]:
    """Validates the pins; returns them, the capacities left and the rows still free."""
    seats = np.asarray(capacities, dtype=np.int64).copy()
    free_rows = np.ones(usable.shape[0], dtype=bool)
    pins = []
    for i, j in pinned:
        if not usable[i, j]:
            raise InvalidPinError(f"pair ({i}, {j}) is not allowed")
        if not free_rows[i]:
            raise InvalidPinError(f"row {i} is pinned twice")
        if seats[j] <= 0:
            raise InvalidPinError(f"column {j} has more pins than free seats")
        seats[j] -= 1
        free_rows[i] = False
        pins.append((int(i), int(j)))
    return pins, seats, free_rows


def _lsa(weights: np.ndarray, usable: np.ndarray, seats: np.ndarray) -> list[tuple[int, int]]:
    """Max-weight assignment over seat-expanded columns, each row free to stay out (one zero
    column per row), only usable cells. Same construction as services/assignment.py's
    solve_assignment, with weights that need not be the scores."""
    n = weights.shape[0]
    columns = np.repeat(np.arange(weights.shape[1]), seats)
    if n == 0 or columns.size == 0:
        return []
    forbidden = -2.0 * _row_bound(weights, usable) - 1.0
    expanded = np.where(usable, weights, forbidden)[:, columns]
    rows, cols = linear_sum_assignment(np.hstack([expanded, np.zeros((n, n))]), maximize=True)
    return [
        (int(r), int(columns[c]))
        for r, c in zip(rows, cols, strict=True)
        if c < columns.size and usable[r, columns[c]]
    ]


def _row_bound(weights: np.ndarray, usable: np.ndarray) -> float:
    """An upper bound on |total weight| of any assignment: each row's largest |weight|."""
    if not usable.any():
        return 0.0
    return float(np.where(usable, np.abs(weights), 0.0).max(axis=1).sum())


def _on_rows(free_rows: np.ndarray, pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    index = np.flatnonzero(free_rows)
    return [(int(index[r]), j) for r, j in pairs]


def solve_total(
    scores: np.ndarray,
    capacities: Sequence[int],
    allowed: np.ndarray | None = None,
    pinned: Sequence[tuple[int, int]] = (),
) -> list[tuple[int, int]]:
    """The largest total score (given the pins), exactly: scipy's linear_sum_assignment, as
    propose_matches does today."""
    scores = np.asarray(scores, dtype=np.float64)
    usable = usable_cells(scores, allowed)
    pins, seats, free_rows = _place_pins(usable, capacities, pinned)
    rest = _lsa(np.nan_to_num(scores[free_rows]), usable[free_rows], seats)
    return pins + _on_rows(free_rows, rest)


def deferred_acceptance(
    mentee_rank: np.ndarray, mentor_rank: np.ndarray, capacities: Sequence[int]
) -> list[tuple[int, int]]:
    """Mentee-proposing deferred acceptance with capacities (Gale–Shapley, hospital–resident):
    the mentee-optimal stable matching. Ranks as mentee_ranks/mentor_ranks give them
    (UNRANKED = unacceptable); O(proposals · log capacity)."""
    n, m = mentee_rank.shape
    prefs = [
        [int(j) for j in np.argsort(mentee_rank[i], kind="stable") if mentee_rank[i, j] < UNRANKED]
        for i in range(n)
    ]
    mrank = mentor_rank.tolist()
    seats = [int(c) for c in capacities]
    # Per mentor a max-heap (negated rank) of the mentees held, the worst on top.
    held: list[list[tuple[int, int]]] = [[] for _ in range(m)]
    cursor = [0] * n
    waiting = deque(range(n))
    while waiting:
        i = waiting.popleft()
        row = prefs[i]
        while cursor[i] < len(row):
            j = row[cursor[i]]
            cursor[i] += 1
            if seats[j] <= 0:
                continue
            r = mrank[i][j]
            if len(held[j]) < seats[j]:
                heapq.heappush(held[j], (-r, i))
                break
            worst_rank, worst = -held[j][0][0], held[j][0][1]
            if r < worst_rank:
                heapq.heapreplace(held[j], (-r, i))
                waiting.append(worst)
                break
    return [(i, j) for j in range(m) for _, i in held[j]]


def solve_stable(
    scores: np.ndarray,
    capacities: Sequence[int],
    allowed: np.ndarray | None = None,
    pinned: Sequence[tuple[int, int]] = (),
    shortlists: Sequence[Sequence[int]] = (),
) -> list[tuple[int, int]]:
    """Mentee-optimal stable matching: mentees' order is shortlist then score, mentors'
    order is score. Without pins it has no blocking pair; with pins the pinned mentees and
    seats are fixed and the rest is stable among themselves."""
    scores = np.asarray(scores, dtype=np.float64)
    usable = usable_cells(scores, allowed)
    pins, seats, free_rows = _place_pins(usable, capacities, pinned)
    ranks = mentee_ranks(scores, usable, shortlists)
    mranks = mentor_ranks(scores, usable)
    rest = deferred_acceptance(ranks[free_rows], mranks[free_rows], seats)
    return pins + _on_rows(free_rows, rest)


def _seats_graph(usable: np.ndarray, seats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row and seat-column indices of the usable cells, mentor j expanded to seats[j]."""
    starts = np.concatenate([[0], np.cumsum(seats)[:-1]]).astype(np.int64)
    rows, cols = np.nonzero(usable & (seats > 0)[None, :])
    reps = seats[cols]
    seat_rows = np.repeat(rows, reps)
    offsets = np.arange(reps.sum()) - np.repeat(np.cumsum(reps) - reps, reps)
    seat_cols = np.repeat(starts[cols], reps) + offsets
    return seat_rows, seat_cols


def max_matched(usable: np.ndarray, seats: np.ndarray) -> int:
    """The most mentees that can be seated on usable cells (Hopcroft–Karp on the
    seat-expanded graph, scipy.sparse.csgraph.maximum_bipartite_matching)."""
    n, total_seats = usable.shape[0], int(seats.sum())
    if n == 0 or total_seats == 0:
        return 0
    seat_rows, seat_cols = _seats_graph(usable, seats)
    graph = csr_matrix(
        (np.ones(seat_rows.size, dtype=np.int8), (seat_rows, seat_cols)), shape=(n, total_seats)
    )
    return int((maximum_bipartite_matching(graph, perm_type="column") >= 0).sum())


def solve_fair(
    scores: np.ndarray,
    capacities: Sequence[int],
    allowed: np.ndarray | None = None,
    pinned: Sequence[tuple[int, int]] = (),
) -> list[tuple[int, int]]:
    """Lexicographic, exactly: (1) seat as many mentees as any assignment can (so at least
    as many as `total`), (2) then the largest minimum score of a matched mentee, (3) then
    the largest total. (2) is a binary search over the distinct scores for the highest
    threshold at which a maximum-cardinality matching on the cells >= threshold still seats
    (1)'s number; (3) is an assignment on those cells whose weights add a constant larger
    than any total to each cell, so a bigger count always wins."""
    scores = np.asarray(scores, dtype=np.float64)
    usable = usable_cells(scores, allowed)
    pins, seats, free_rows = _place_pins(usable, capacities, pinned)
    sub_scores = np.nan_to_num(scores[free_rows])
    sub_usable = usable[free_rows]
    target = max_matched(sub_usable, seats)
    if target == 0:
        return pins
    thresholds = np.unique(sub_scores[sub_usable])
    low, high = 0, thresholds.size - 1  # thresholds[low] always reaches the target
    while low < high:
        mid = (low + high + 1) // 2
        if max_matched(sub_usable & (sub_scores >= thresholds[mid]), seats) >= target:
            low = mid
        else:
            high = mid - 1
    floor = thresholds[low]
    # The pins' worst score caps the minimum anyway: below it, cells cost nothing in (2).
    if pins:
        floor = min(floor, min(scores[i, j] for i, j in pins))
    keep = sub_usable & (sub_scores >= floor)
    spread = 2.0 * _row_bound(sub_scores, keep) + 1.0
    rest = _lsa(sub_scores + spread, keep, seats)
    return pins + _on_rows(free_rows, rest)


def solve(objective: str, scores, capacities, allowed=None, pinned=(), shortlists=()):
    """Dispatch by objective name (OBJECTIVES)."""
    if objective == "total":
        return solve_total(scores, capacities, allowed, pinned)
    if objective == "stable":
        return solve_stable(scores, capacities, allowed, pinned, shortlists)
    if objective == "fair":
        return solve_fair(scores, capacities, allowed, pinned)
    raise ValueError(f"unknown objective {objective!r}")
