"""Matching rounds (issue 15): today's first-come behaviour, greedy, and the three round
objectives on generated cohorts with simulated shortlists, by the round's quality report.

The solvers run on plain matrices (no database), as the rounds service calls them."""

import time

import numpy as np

from bench.common import Result, Section

COHORTS = ((200, 100), (1000, 500))
CAPACITY = 2
SHORTLIST = 5
FIRST_COME_ORDERS = 20
METHODS = ("first_come", "greedy", "total", "stable", "fair")
METRICS = (
    ("matched", "mentees"),
    ("total_score", "points"),
    ("min_score", "points"),
    ("mean_rank", "rank"),
    ("rank1_share", "share"),
    ("blocking_pairs", "pairs"),
    ("solve_s", "s"),
)


def cohort(mentees: int, mentors: int, seed: int = 15):
    """Scores shaped like bench/assignment.py's (a mentee and a mentor level plus pair
    noise, 0–100, ~1% blacklisted), and shortlists: each mentee picks SHORTLIST of their
    15 best-scored mentors in an order of their own (the score plus a personal taste)."""
    rng = np.random.default_rng(seed)
    base = rng.normal(45, 8, size=(mentees, 1)) + rng.normal(0, 6, size=(1, mentors))
    scores = np.clip(np.round(base + rng.normal(0, 10, size=(mentees, mentors)), 2), 0, 100)
    allowed = rng.random((mentees, mentors)) > 0.01
    shortlists = []
    for i in range(mentees):
        best = [j for j in np.argsort(-scores[i], kind="stable") if allowed[i, j]][:15]
        taste = scores[i, best] + rng.normal(0, 8, size=len(best))
        picked = [best[k] for k in np.argsort(-taste, kind="stable")[:SHORTLIST]]
        shortlists.append([int(j) for j in picked])
    return scores, allowed, [CAPACITY] * mentors, shortlists


def first_come(ranks: np.ndarray, capacities, order) -> list[tuple[int, int]]:
    """Mentees arrive in `order`; each takes the best mentor with a free seat in their own
    order (shortlist first, then score): today's select, one mentee at a time."""
    from matching.rounds.solvers import UNRANKED

    seats = list(capacities)
    preference = np.argsort(ranks, axis=1, kind="stable")
    pairs = []
    for i in order:
        for j in preference[i]:
            if ranks[i, j] >= UNRANKED:
                break
            if seats[j] > 0:
                seats[j] -= 1
                pairs.append((int(i), int(j)))
                break
    return pairs


def _measure(solver, scores, ranks, mranks, capacities) -> dict:
    from matching.rounds.report import quality_report

    began = time.perf_counter()
    pairs = solver()
    elapsed = time.perf_counter() - began
    report = quality_report(pairs, scores, ranks, mranks, capacities)
    return {
        "matched": report["matched"],
        "total_score": report["total_score"],
        "min_score": report["min_score"],
        "mean_rank": report["mean_rank"],
        "rank1_share": report["rank1_share"],
        "blocking_pairs": report["blocking_pairs"],
        "solve_s": round(elapsed, 3),
    }


def run_cohort(mentees: int, mentors: int) -> dict[str, dict]:
    from bench.assignment import greedy_assignment
    from matching.rounds.solvers import (
        mentee_ranks,
        mentor_ranks,
        solve_fair,
        solve_stable,
        solve_total,
        usable_cells,
    )

    scores, allowed, capacities, shortlists = cohort(mentees, mentors)
    usable = usable_cells(scores, allowed)
    ranks, mranks = mentee_ranks(scores, usable, shortlists), mentor_ranks(scores, usable)
    args = (scores, ranks, mranks, capacities)
    rng = np.random.default_rng(20)
    runs = [
        _measure(lambda o=order: first_come(ranks, capacities, o), *args)
        for order in (rng.permutation(mentees) for _ in range(FIRST_COME_ORDERS))
    ]
    rows = {
        "first_come": {k: float(np.median([r[k] for r in runs])) for k, _ in METRICS},
        "greedy": _measure(lambda: greedy_assignment(scores, capacities, allowed), *args),
        "total": _measure(lambda: solve_total(scores, capacities, allowed), *args),
        "stable": _measure(
            lambda: solve_stable(scores, capacities, allowed, shortlists=shortlists), *args
        ),
        "fair": _measure(lambda: solve_fair(scores, capacities, allowed), *args),
    }
    return rows


def _targets(rows: dict[str, dict]) -> list[str]:
    fair = rows["fair"]
    peers = [m for m in METHODS if m != "fair" and rows[m]["matched"] >= fair["matched"]]
    checks = [
        ("stable has 0 blocking pairs", rows["stable"]["blocking_pairs"] == 0),
        (
            "total has the largest total",
            all(rows["total"]["total_score"] >= rows[m]["total_score"] for m in METHODS),
        ),
        ("fair seats as many as total", fair["matched"] >= rows["total"]["matched"]),
        (
            "fair's minimum ≥ every method seating as many (" + ", ".join(peers) + ")",
            all(fair["min_score"] >= rows[m]["min_score"] for m in peers),
        ),
        ("each solve ≤ 10 s", all(rows[m]["solve_s"] <= 10 for m in METHODS)),
    ]
    return [f"{'met' if ok else '**MISS**'}: {text}" for text, ok in checks]


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.3f}".rstrip("0").rstrip(".")
    return f"{value:,.0f}" if isinstance(value, float) else f"{value:,}"


def run() -> Section:
    results, parts = [], []
    for mentees, mentors in COHORTS:
        name = f"{mentees}x{mentors}"
        rows = run_cohort(mentees, mentors)
        for method in METHODS:
            for metric, unit in METRICS:
                value = rows[method][metric]
                results.append(Result(f"rounds.{name}.{method}.{metric}", value, unit))
        parts += [
            f"### {mentees:,} mentees × {mentors} mentors, capacity {CAPACITY}",
            "",
            "| method | " + " | ".join(metric for metric, _ in METRICS) + " |",
            "|---" * (len(METRICS) + 1) + "|",
            *(
                f"| {m} | " + " | ".join(_fmt(rows[m][k]) for k, _ in METRICS) + " |"
                for m in METHODS
            ),
            "",
            *(f"- {line}" for line in _targets(rows)),
            "",
        ]
    markdown = "\n".join(
        [
            "Generated cohorts (bench/rounds.py, seeded): scores as in the assignment "
            f"section, ~1% blacklisted cells, each mentee shortlisting {SHORTLIST} of their "
            "15 best-scored mentors in an order of their own. Ranks are in the mentee's own "
            "order (shortlist, then score); mentors prefer higher scores. `first_come` is "
            f"today's behaviour, the median of {FIRST_COME_ORDERS} random arrival orders "
            "(each metric's median on its own); `greedy` is best-first over all cells. "
            "solve_s is wall time on a shared 2-core machine (noisy).",
            "",
            *parts,
        ]
    ).rstrip()
    return Section("Matching rounds: first come, greedy, total, stable, fair", results, markdown)
