"""Property tests of the round solvers (pure functions, no database): capacities, forbidden
and pinned pairs, stability (cross-checked against the `matching` library's
hospital–resident solver), and on tiny instances total and fair against brute force."""

import itertools
import warnings

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching.rounds.report import blocking_pairs, quality_report
from matching.rounds.solvers import (
    OBJECTIVES,
    UNRANKED,
    mentee_ranks,
    mentor_ranks,
    solve,
    usable_cells,
)
from matching.tests.hr_library import load_hospital_resident

HospitalResident = load_hospital_resident()
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def instances(draw, max_mentees=5, max_mentors=4, with_pins=True):
    n = draw(st.integers(0, max_mentees))
    m = draw(st.integers(1, max_mentors))
    cells = st.integers(-3, 12).map(lambda v: None if v < 0 else v)  # None: no score
    raw = draw(st.lists(st.lists(cells, min_size=m, max_size=m), min_size=n, max_size=n))
    scores = np.array(
        [[np.nan if v is None else float(v) for v in row] for row in raw], dtype=float
    ).reshape(n, m)
    allowed = np.array(
        draw(st.lists(st.booleans(), min_size=n * m, max_size=n * m)), dtype=bool
    ).reshape(n, m) | draw(st.booleans())  # often everything allowed
    capacities = draw(st.lists(st.integers(0, 2), min_size=m, max_size=m))
    shortlists = [draw(st.lists(st.integers(0, m - 1), max_size=3, unique=True)) for _ in range(n)]
    pins = []
    if with_pins:
        usable, seats, used = usable_cells(scores, allowed), list(capacities), set()
        for i, j in draw(st.lists(st.tuples(st.integers(0, max(n - 1, 0)), st.integers(0, m - 1)))):
            if i < n and i not in used and usable[i, j] and seats[j] > 0:
                pins.append((i, j))
                used.add(i)
                seats[j] -= 1
    return scores, allowed, capacities, shortlists, pins


def _check_feasible(pairs, scores, allowed, capacities, pins):
    rows = [i for i, _ in pairs]
    assert len(rows) == len(set(rows)), "a mentee seated twice"
    load = np.bincount([j for _, j in pairs], minlength=len(capacities))
    assert all(load[j] <= capacities[j] for j in range(len(capacities))), "over capacity"
    for i, j in pairs:
        assert allowed[i, j] and not np.isnan(scores[i, j]), "a forbidden pair"
    assert set(pins) <= set(pairs), "a pin dropped"


@FAST
@given(instances())
def test_every_objective_respects_capacity_forbidden_and_pinned_pairs(instance):
    scores, allowed, capacities, shortlists, pins = instance
    for objective in OBJECTIVES:
        pairs = solve(objective, scores, capacities, allowed, pins, shortlists)
        _check_feasible(pairs, scores, allowed, capacities, pins)


def _library_stable(ranks, mranks, capacities):
    """The resident-optimal stable matching by daffidwilde/matching (HospitalResident)."""
    n, m = ranks.shape
    # The library wants no empty lists and no seatless hospitals: those take no one anyway.
    open_ = [j for j in range(m) if capacities[j] > 0 and (mranks[:, j] < UNRANKED).any()]
    resident_prefs = {
        i: [j for j in np.argsort(ranks[i], kind="stable") if ranks[i, j] < UNRANKED and j in open_]
        for i in range(n)
    }
    resident_prefs = {i: prefs for i, prefs in resident_prefs.items() if prefs}
    hospital_prefs = {
        j: [
            i
            for i in np.argsort(mranks[:, j], kind="stable")
            if mranks[i, j] < UNRANKED and i in resident_prefs
        ]
        for j in open_
    }
    hospital_prefs = {j: prefs for j, prefs in hospital_prefs.items() if prefs}
    resident_prefs = {
        i: [j for j in prefs if j in hospital_prefs] for i, prefs in resident_prefs.items()
    }
    if not hospital_prefs:
        return set()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # players with empty lists are fine here
        game = HospitalResident.create_from_dictionaries(
            resident_prefs, hospital_prefs, {j: capacities[j] for j in hospital_prefs}, clean=True
        )
        matching = game.solve(optimal="resident")
        assert game.check_stability()
    return {(r.name, h.name) for h, residents in matching.items() for r in residents}


@FAST
@given(instances(with_pins=False))
def test_stable_has_no_blocking_pair_and_equals_the_matching_librarys(instance):
    scores, allowed, capacities, shortlists, _ = instance
    pairs = solve("stable", scores, capacities, allowed, (), shortlists)
    usable = usable_cells(scores, allowed)
    ranks, mranks = mentee_ranks(scores, usable, shortlists), mentor_ranks(scores, usable)
    assert blocking_pairs(pairs, ranks, mranks, capacities) == 0
    assert set(pairs) == _library_stable(ranks, mranks, capacities)


def _all_assignments(usable, capacities):
    n, m = usable.shape
    for choice in itertools.product(range(-1, m), repeat=n):
        if any(j >= 0 and not usable[i, j] for i, j in enumerate(choice)):
            continue
        if any(choice.count(j) > capacities[j] for j in range(m)):
            continue
        yield [(i, j) for i, j in enumerate(choice) if j >= 0]


@FAST
@given(instances(max_mentees=4, max_mentors=3, with_pins=False))
def test_total_and_fair_equal_brute_force_on_tiny_instances(instance):
    scores, allowed, capacities, _, _ = instance
    usable = usable_cells(scores, allowed)
    options = list(_all_assignments(usable, capacities))
    best_total = max(sum(scores[i, j] for i, j in a) for a in options)
    most = max(len(a) for a in options)
    fullest = [a for a in options if len(a) == most]
    best_min = max((min(scores[i, j] for i, j in a) for a in fullest if a), default=None)

    total = solve("total", scores, capacities, allowed)
    assert sum(scores[i, j] for i, j in total) == best_total

    fair = solve("fair", scores, capacities, allowed)
    assert len(fair) == most >= len(total)
    if fair:
        assert min(scores[i, j] for i, j in fair) == best_min
        best_fair_total = max(
            sum(scores[i, j] for i, j in a)
            for a in fullest
            if min(scores[i, j] for i, j in a) == best_min
        )
        assert sum(scores[i, j] for i, j in fair) == best_fair_total


def test_report_counts_a_blocking_pair_and_names_the_unmatched():
    # Two mentees, one mentor with two seats: seating only the weaker leaves a free seat
    # the stronger mentee wants, a blocking pair; the report says who is out and why.
    scores = np.array([[9.0], [5.0]])
    usable = usable_cells(scores)
    ranks, mranks = mentee_ranks(scores, usable), mentor_ranks(scores, usable)
    report = quality_report([(1, 0)], scores, ranks, mranks, [2])
    assert report["blocking_pairs"] == 1
    assert report["unmatched"] == [(0, "no_seat_left")]
    assert report["mentor_load"] == [1] and report["seats_free"] == 1
    assert (report["matched"], report["min_score"], report["mean_rank"]) == (1, 5.0, 1.0)
