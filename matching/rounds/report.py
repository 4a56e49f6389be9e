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


# The report's scalar lines as the command and the admin show them: (label, key).
REPORT_LINES = (
    ("matched mentees", "matched"),
    ("seats used", "seats_used"),
    ("seats left free", "seats_free"),
    ("total score", "total_score"),
    ("mean score", "mean_score"),
    ("min score", "min_score"),
    ("rank-1 share", "rank1_share"),
    ("top-3 share", "top3_share"),
    ("mean rank", "mean_rank"),
    ("worst rank", "worst_rank"),
    ("blocking pairs", "blocking_pairs"),
)


def _load_summary(report: dict) -> str:
    """Mentor load as "full/partly/empty" counts of the mentors in the round."""
    full = partly = empty = 0
    for entry in report.get("mentor_load", []):
        if entry["assigned"] == 0:
            empty += 1
        elif entry["assigned"] >= entry["free_seats"]:
            full += 1
        else:
            partly += 1
    return f"{full}/{partly}/{empty}"


def report_rows(reports: list[dict]) -> list[tuple[str, list[str]]]:
    """One row per report line, one cell per report (side by side)."""
    rows = []
    for label, key in REPORT_LINES:
        rows.append((label, ["-" if r.get(key) is None else str(r.get(key)) for r in reports]))
    rows.append(("mentors full/partly/empty", [_load_summary(r) for r in reports]))
    rows.append(("unmatched mentees", [str(len(r.get("unmatched", []))) for r in reports]))
    return rows


def format_reports(headers: list[str], reports: list[dict]) -> str:
    """A plain-text table of reports side by side (the run_round command's output)."""
    rows = [("", headers), *report_rows(reports)]
    label_width = max(len(label) for label, _ in rows)
    widths = [max(len(cells[k]) for _, cells in rows) for k in range(len(headers))]
    lines = []
    for label, cells in rows:
        padded = "  ".join(c.rjust(w) for c, w in zip(cells, widths, strict=True))
        lines.append(f"{label.ljust(label_width)}  {padded}".rstrip())
    return "\n".join(lines)
