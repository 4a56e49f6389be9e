"""Service-level rules of select/unmatch (the HTTP contract is in test_matching_views)."""

import pytest

from matching import services
from matching.errors import BadConfirmationError, MentorFullError, MentorUnavailableError
from matching.services import matches
from users.models import User
from users.tests.factories import MenteeFactory, MentorFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("phrase", ["I would like to unmatch", "  I would like to unmatch\n"])
def test_confirmation_accepts_the_phrase_with_surrounding_space(phrase):
    services.require_confirmation(phrase)


def test_confirmation_rejects_anything_else():
    with pytest.raises(BadConfirmationError):
        services.require_confirmation("I would like to unmatch!")


def test_full_roster_compensates_the_mentee_claim(settings):
    settings.MAX_MENTEES = 1
    mentor = MentorFactory(current_mentees=["taken@example.edu"])
    mentee = MenteeFactory()

    with pytest.raises(MentorFullError):
        services.select_mentor(mentee=mentee, mentor_email=mentor.email)

    fresh = User.objects.get(pk=mentee.pk)
    assert (fresh.isMatched, fresh.matchedMentorEmail) == (False, "")
    assert User.objects.get(pk=mentor.pk).current_mentees == ["taken@example.edu"]


def test_capacity_follows_the_setting(settings):
    settings.MAX_MENTEES = 3
    mentor = MentorFactory()
    for _ in range(3):
        services.select_mentor(mentee=MenteeFactory(), mentor_email=mentor.email)

    with pytest.raises(MentorFullError):
        services.select_mentor(mentee=MenteeFactory(), mentor_email=mentor.email)
    assert len(User.objects.get(pk=mentor.pk).current_mentees) == 3


@pytest.mark.parametrize(
    "unavailable",
    [
        {"deletion_requested_at": "2026-01-01T00:00:00Z"},
        {"is_seeking_mentee": False},
        {"is_active": False},
    ],
)
def test_select_mentor_rejects_a_mentor_not_taking_mentees(unavailable):
    mentor = MentorFactory(**unavailable)
    mentee = MenteeFactory()

    with pytest.raises(MentorUnavailableError):
        services.select_mentor(mentee=mentee, mentor_email=mentor.email)

    fresh = User.objects.get(pk=mentee.pk)
    assert (fresh.isMatched, fresh.matchedMentorEmail) == (False, "")
    assert User.objects.get(pk=mentor.pk).current_mentees == []


def test_seat_claim_guards_availability_when_the_mentor_leaves_after_the_check(monkeypatch):
    mentor = MentorFactory()
    mentee = MenteeFactory()

    def leaves_now(m):
        User.objects.filter(pk=m.pk).update(is_seeking_mentee=False)

    monkeypatch.setattr(matches, "require_available", leaves_now)
    with pytest.raises(MentorUnavailableError):
        services.select_mentor(mentee=mentee, mentor_email=mentor.email)

    fresh = User.objects.get(pk=mentee.pk)
    assert (fresh.isMatched, fresh.matchedMentorEmail) == (False, "")
    assert User.objects.get(pk=mentor.pk).current_mentees == []
