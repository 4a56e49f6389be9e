"""purge_deleted_users end to end: accounts past ACCOUNT_DELETION_GRACE_DAYS go with their
scores, embeddings, messages, invitations, sessions and blacklist entries; counterparts'
rosters and matches are updated; --dry-run changes nothing."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from chat.models import Message
from matching.models import Invitation, ProfileEmbedding, Score
from matching.services.invitations import create_invitation
from matching.tests.factories import scorable_mentee, scorable_mentor
from users.models import RefreshToken, User
from users.tests.factories import AdminFactory

pytestmark = pytest.mark.django_db

GRACE = 30


def _state():
    """Everything the purge may touch, as comparable plain data."""
    return {
        "users": sorted(
            User.objects.values_list(
                "email", "isMatched", "matchedMentorEmail", "current_mentees", "blacklisted_mentors"
            )
        ),
        "scores": sorted(Score.objects.values_list("mentee_email", "mentor_email")),
        "embeddings": sorted(ProfileEmbedding.objects.values_list("email", flat=True)),
        "messages": sorted(Message.objects.values_list("sender", "recipient", "body")),
        "invitations": sorted(
            Invitation.objects.values_list("mentor_email", "mentee_email", "created_by_email")
        ),
        "sessions": sorted(RefreshToken.objects.values_list("jti", flat=True)),
    }


def _match(mentor, *mentees):
    User.objects.filter(pk=mentor.pk).update(current_mentees=[m.email for m in mentees])
    for mentee in mentees:
        User.objects.filter(pk=mentee.pk).update(isMatched=True, matchedMentorEmail=mentor.email)


def _say(sender, recipient, body):
    Message.objects.create(sender=sender.email, recipient=recipient.email, body=body)


@pytest.fixture
def cohort(settings):
    """A mentor and a mentee past the grace period, each entangled with people who stay."""
    settings.ACCOUNT_DELETION_GRACE_DAYS = GRACE
    now = timezone.now()
    admin = AdminFactory()
    gone_mentor = scorable_mentor(email="gone.mentor@example.edu")
    gone_mentee = scorable_mentee(email="gone.mentee@example.edu")
    kept_mentor = scorable_mentor(email="kept.mentor@example.edu")
    a, b, c, d, f = (scorable_mentee(email=f"{n}@example.edu") for n in "abcdf")
    recent = scorable_mentee(email="recent@example.edu")

    _match(gone_mentor, a, b)
    _match(kept_mentor, gone_mentee, f)
    User.objects.filter(pk=c.pk).update(blacklisted_mentors=[gone_mentor.email, "x@example.edu"])
    _say(a, gone_mentor, "from a")
    _say(gone_mentor, b, "to b")
    _say(gone_mentee, kept_mentor, "from the leaving mentee")
    _say(f, kept_mentor, "kept")
    create_invitation(creator=gone_mentor, mentor_email=gone_mentor.email, mentee_email=d.email)
    create_invitation(creator=admin, mentor_email=kept_mentor.email, mentee_email=d.email)
    create_invitation(creator=recent, mentor_email=gone_mentor.email, mentee_email=recent.email)
    RefreshToken.objects.create(jti="gone", user=gone_mentor, expires_at=now + timedelta(days=1))
    RefreshToken.objects.create(jti="kept", user=f, expires_at=now + timedelta(days=1))
    User.objects.filter(pk__in=[gone_mentor.pk, gone_mentee.pk]).update(
        deletion_requested_at=now - timedelta(days=GRACE + 1)
    )
    User.objects.filter(pk=recent.pk).update(deletion_requested_at=now - timedelta(days=GRACE - 1))
    return {"gone": {gone_mentor.email, gone_mentee.email}, "kept_mentor": kept_mentor}


def test_dry_run_lists_the_accounts_and_changes_nothing(cohort):
    before = _state()
    out = StringIO()

    call_command("purge_deleted_users", "--dry-run", stdout=out)

    assert _state() == before
    lines = out.getvalue().splitlines()
    assert sorted(line.split()[2] for line in lines[:-1]) == sorted(cohort["gone"])
    assert all(line.startswith("would purge ") for line in lines[:-1])
    assert lines[-1] == "2 account(s) past the 30-day grace period; dry run, nothing changed."


def test_purge_removes_the_accounts_and_everything_that_names_them(cohort):
    gone = cohort["gone"]
    out = StringIO()

    call_command("purge_deleted_users", stdout=out)

    state = _state()
    emails = {row[0] for row in state["users"]}
    assert not emails & gone
    assert "recent@example.edu" in emails  # still within its grace period
    assert not any(set(pair) & gone for pair in state["scores"])
    assert state["scores"]  # the others' scores stay
    assert not set(state["embeddings"]) & gone
    assert state["messages"] == [("f@example.edu", "kept.mentor@example.edu", "kept")]
    assert state["invitations"] == [
        ("kept.mentor@example.edu", "d@example.edu", User.objects.get(role="ADMIN").email)
    ]
    assert state["sessions"] == ["kept"]
    users = {u.email: u for u in User.objects.all()}
    for email in ("a@example.edu", "b@example.edu"):  # the purged mentor's mentees are free
        assert (users[email].isMatched, users[email].matchedMentorEmail) == (False, "")
        assert users[email].blacklisted_mentors == []  # freed, not blacklisted
    assert users["c@example.edu"].blacklisted_mentors == ["x@example.edu"]
    assert users["kept.mentor@example.edu"].current_mentees == ["f@example.edu"]
    assert (users["f@example.edu"].isMatched, users["f@example.edu"].matchedMentorEmail) == (
        True,
        "kept.mentor@example.edu",
    )
    assert out.getvalue().splitlines()[-1] == "2 account(s) purged."


def test_a_second_run_has_nothing_left_to_do(cohort):
    call_command("purge_deleted_users", stdout=StringIO())
    after_first = _state()
    out = StringIO()

    call_command("purge_deleted_users", stdout=out)

    assert _state() == after_first
    assert out.getvalue().splitlines() == ["0 account(s) purged."]
