"""propose_matches: exact optimum within capacities, blacklists respected."""

import itertools
import json
from io import StringIO

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from matching.models import Invitation, Score
from matching.services.assignment import propose_matches, solve_assignment
from matching.tests.factories import scorable_mentee, scorable_mentor
from users.models import User
from users.tests.factories import AdminFactory


def _total(scores, pairs):
    return sum(scores[r, c] for r, c in pairs)


def _valid(scores, capacities, allowed, pairs):
    rows = [r for r, _ in pairs]
    assert len(rows) == len(set(rows))
    for c in range(scores.shape[1]):
        assert sum(1 for _, col in pairs if col == c) <= capacities[c]
    for r, c in pairs:
        assert allowed[r, c] and not np.isnan(scores[r, c])


def _brute_force(scores, capacities, allowed):
    """Best total over every assignment (each mentee: a mentor or nobody)."""
    m, n = scores.shape
    best = 0.0
    for choice in itertools.product(range(-1, n), repeat=m):
        load = [0] * n
        total = 0.0
        ok = True
        for r, c in enumerate(choice):
            if c < 0:
                continue
            if not allowed[r, c] or np.isnan(scores[r, c]) or load[c] >= capacities[c]:
                ok = False
                break
            load[c] += 1
            total += scores[r, c]
        if ok:
            best = max(best, total)
    return best


def test_solver_equals_brute_force_on_random_instances():
    rng = np.random.default_rng(2026)
    for _ in range(40):
        m, n = rng.integers(1, 6), rng.integers(1, 5)
        scores = np.round(rng.uniform(0, 100, size=(m, n)), 2)
        scores[rng.random((m, n)) < 0.1] = np.nan
        allowed = rng.random((m, n)) > 0.25
        capacities = list(rng.integers(0, 3, size=n))

        pairs = solve_assignment(scores, capacities, allowed)

        _valid(scores, capacities, allowed, pairs)
        assert _total(scores, pairs) == pytest.approx(_brute_force(scores, capacities, allowed))


def test_solver_prefers_leaving_a_mentee_out_to_a_forbidden_pair():
    scores = np.array([[50.0, 0.5], [60.0, 70.0]])
    allowed = np.array([[True, True], [True, False]])

    pairs = solve_assignment(scores, [1, 1], allowed)

    assert sorted(pairs) == [(0, 1), (1, 0)]


def test_empty_instances():
    assert solve_assignment(np.zeros((0, 3)), [1, 1, 1]) == []
    assert solve_assignment(np.ones((2, 2)), [0, 0]) == []


def _set(mentee, mentor, score):
    Score.objects.filter(mentee_email=mentee.email, mentor_email=mentor.email).update(score=score)


@pytest.mark.django_db
def test_propose_matches_respects_state_capacity_and_blacklists(settings):
    settings.MAX_MENTEES = 1
    a, b, matched, resting = (scorable_mentee() for _ in range(4))
    x, y, full = scorable_mentor(), scorable_mentor(), scorable_mentor()
    _set(a, x, 90), _set(a, y, 80), _set(b, x, 85), _set(b, y, 10)
    User.objects.filter(pk=matched.pk).update(isMatched=True, matchedMentorEmail=full.email)
    User.objects.filter(pk=full.pk).update(current_mentees=[matched.email])
    User.objects.filter(pk=resting.pk).update(is_seeking_mentor=False)

    proposal = propose_matches()

    assert proposal.assignments == [(b.email, x.email, 85.0), (a.email, y.email, 80.0)]
    assert proposal.total_score == 165.0
    User.objects.filter(pk=b.pk).update(blacklisted_mentors=[x.email])
    assert propose_matches().assignments == [(a.email, x.email, 90.0), (b.email, y.email, 10.0)]


@pytest.mark.django_db
def test_command_json_shape_and_apply(settings):
    mentee, mentor = scorable_mentee(), scorable_mentor()
    _set(mentee, mentor, 77.5)
    out = StringIO()

    call_command("propose_matches", "--json", stdout=out)

    assert json.loads(out.getvalue()) == {
        "assignments": [{"mentee": mentee.email, "mentor": mentor.email, "score": 77.5}],
        "total_score": 77.5,
    }
    with pytest.raises(CommandError, match="ADMIN"):
        call_command("propose_matches", "--apply", stdout=StringIO(), stderr=StringIO())
    admin = AdminFactory()
    err = StringIO()
    call_command("propose_matches", "--apply", stdout=StringIO(), stderr=err)
    invitation = Invitation.objects.get()
    assert (invitation.mentee_email, invitation.mentor_email, invitation.created_by_email) == (
        mentee.email,
        mentor.email,
        admin.email,
    )
    assert "1 invitation(s) sent" in err.getvalue()
    text = StringIO()
    call_command("propose_matches", stdout=text)
    assert text.getvalue().splitlines()[-1] == "1 pair(s) proposed, total score 77.50."
