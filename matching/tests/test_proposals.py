"""propose_matches: the eligibility rules and command paths test_assignment.py leaves out."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from matching.models import Invitation, Score
from matching.services.assignment import Proposal, apply_proposal, propose_matches
from matching.tests.factories import scorable_mentee, scorable_mentor
from users.models import User
from users.tests.factories import AdminFactory

pytestmark = pytest.mark.django_db


def _set(mentee, mentor, score):
    Score.objects.filter(mentee_email=mentee.email, mentor_email=mentor.email).update(score=score)


def _pairs():
    return {(mentee, mentor) for mentee, mentor, _ in propose_matches().assignments}


def test_pending_deletion_inactive_and_not_seeking_users_are_left_out(settings):
    settings.MAX_MENTEES = 3
    keep, leaving, inactive = (scorable_mentee() for _ in range(3))
    good, leaving_mentor, inactive_mentor, resting_mentor = (scorable_mentor() for _ in range(4))
    for mentee in (keep, leaving, inactive):
        _set(mentee, good, 10)
        for mentor in (leaving_mentor, inactive_mentor, resting_mentor):
            _set(mentee, mentor, 99)
    assert propose_matches().total_score == 3 * 99  # everyone is eligible at first

    now = timezone.now() - timedelta(days=1)
    User.objects.filter(pk__in=[leaving.pk, leaving_mentor.pk]).update(deletion_requested_at=now)
    User.objects.filter(pk__in=[inactive.pk, inactive_mentor.pk]).update(is_active=False)
    User.objects.filter(pk=resting_mentor.pk).update(is_seeking_mentee=False)

    assert _pairs() == {(keep.email, good.email)}


def test_mentor_with_one_free_seat_takes_one_mentee(settings):
    settings.MAX_MENTEES = 2
    a, b, already = scorable_mentee(), scorable_mentee(), scorable_mentee()
    mentor = scorable_mentor()
    User.objects.filter(pk=already.pk).update(isMatched=True, matchedMentorEmail=mentor.email)
    User.objects.filter(pk=mentor.pk).update(current_mentees=[already.email])
    _set(a, mentor, 60), _set(b, mentor, 70)

    proposal = propose_matches()

    assert proposal.assignments == [(b.email, mentor.email, 70.0)]
    assert proposal.total_score == 70.0


def test_apply_with_an_admin_email_that_is_not_an_admin_is_a_command_error():
    mentor = scorable_mentor()
    scorable_mentee()
    AdminFactory()

    for email in (mentor.email, "nobody@example.edu"):
        with pytest.raises(CommandError, match="ADMIN"):
            call_command("propose_matches", "--apply", "--admin", email, stdout=StringIO())
    assert not Invitation.objects.exists()


def test_apply_uses_the_named_admin_and_json_stays_alone_on_stdout():
    mentee, mentor = scorable_mentee(), scorable_mentor()
    _set(mentee, mentor, 42.25)
    AdminFactory()  # earliest admin, not the one named
    chosen = AdminFactory()
    out, err = StringIO(), StringIO()

    call_command(
        "propose_matches",
        "--json",
        "--apply",
        "--admin",
        chosen.email.upper(),
        stdout=out,
        stderr=err,
    )

    assert json.loads(out.getvalue()) == {
        "assignments": [{"mentee": mentee.email, "mentor": mentor.email, "score": 42.25}],
        "total_score": 42.25,
    }
    assert Invitation.objects.get().created_by_email == chosen.email


def test_apply_counts_successes_and_collects_rule_failures():
    mentee, mentor = scorable_mentee(), scorable_mentor()
    admin = AdminFactory()
    proposal = Proposal([(mentee.email, mentor.email, 50.0)])

    assert apply_proposal(proposal, admin=admin) == (1, [])
    sent, failures = apply_proposal(proposal, admin=admin)  # the invitation is still pending

    assert sent == 0
    assert len(failures) == 1 and "invitation_exists" in failures[0]
    assert Invitation.objects.count() == 1
