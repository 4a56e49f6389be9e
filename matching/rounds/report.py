"""The quality report of a proposal (API.md "Preferences and rounds"), over plain values."""

from collections.abc import Sequence

import numpy as np

from matching.rounds.solvers import UNRANKED


def blocking_pairs(
    pairs: Sequence[tuple[int, int]],
    mentee_rank: np.ndarray,
    mentor_rank: np.ndarray,
    capacities: Sequence[int],
) -> int:
    """How many (mentee, mentor) pairs, both acceptable to each other, block the matching:
    the mentee is unmatched or ranks the mentor above their own, and the mentor has a free
    seat (it prefers any acceptable mentee to an empty seat) or ranks the mentee above the
    worst mentee it got."""
    n, m = mentee_rank.shape
    if n == 0 or m == 0:
        return 0
    mine = np.full(n, UNRANKED, dtype=np.int64)
    load = np.zeros(m, dtype=np.int64)
    worst = np.zeros(m, dtype=np.int64)  # the worst rank a mentor holds (0 = holds none)
    assigned = np.full(n, -1, dtype=np.int64)
    for i, j in pairs:
        mine[i] = mentee_rank[i, j]
        load[j] += 1
        worst[j] = max(worst[j], mentor_rank[i, j])
        assigned[i] = j
    acceptable = (mentee_rank < UNRANKED) & (mentor_rank < UNRANKED)
    mentee_wants = mentee_rank < mine[:, None]
    free = load < np.asarray(capacities, dtype=np.int64)
    mentor_wants = free[None, :] | (mentor_rank < worst[None, :])
    not_theirs = assigned[:, None] != np.arange(m)[None, :]
    return int((acceptable & mentee_wants & mentor_wants & not_theirs).sum())


def quality_report(
    pairs: Sequence[tuple[int, int]],
    scores: np.ndarray,
    mentee_rank: np.ndarray,
    mentor_rank: np.ndarray,
    capacities: Sequence[int],
    unmatched_reasons: Sequence[str] | None = None,
) -> dict:
    """The report's numbers. Indices stay indices: the caller names mentees and mentors.
    `unmatched` lists (row, reason) for each row without a pair; unmatched_reasons[i]
    overrides the default reason for row i."""
    n, m = mentee_rank.shape
    matched_scores = [float(scores[i, j]) for i, j in pairs]
    ranks = [int(mentee_rank[i, j]) for i, j in pairs]
    load = [0] * m
    for _, j in pairs:
        load[j] += 1
    seated = {i for i, _ in pairs}
    count = len(pairs)
    acceptable = (mentee_rank < UNRANKED).any(axis=1) if m else np.zeros(n, dtype=bool)
    unmatched = []
    for i in range(n):
        if i in seated:
            continue
        reason = unmatched_reasons[i] if unmatched_reasons and unmatched_reasons[i] else None
        if reason is None:
            reason = "no_eligible_mentor" if not acceptable[i] else "no_seat_left"
        unmatched.append((i, reason))
    return {
        "matched": count,
        "seats_used": count,
        "seats_free": int(sum(capacities)) - count,
        "total_score": round(sum(matched_scores), 2),
        "mean_score": round(sum(matched_scores) / count, 2) if count else None,
        "min_score": round(min(matched_scores), 2) if count else None,
        "rank1_share": round(sum(r == 1 for r in ranks) / count, 4) if count else None,
        "top3_share": round(sum(r <= 3 for r in ranks) / count, 4) if count else None,
        "mean_rank": round(sum(ranks) / count, 3) if count else None,
        "worst_rank": max(ranks) if count else None,
        "blocking_pairs": blocking_pairs(pairs, mentee_rank, mentor_rank, capacities),
        "mentor_load": load,
        "unmatched": unmatched,
    }
