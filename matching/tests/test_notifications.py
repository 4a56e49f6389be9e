"""Notification mails of matching events: who gets which kind, and the profile opt-outs."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.core import mail
from django.utils import timezone

from matching import notify
from matching.services import invitations, matches
from matching.services.matches import UNMATCH_CONFIRMATION
from notifications.models import OutboxMail
from users.models import User
from users.tests.factories import AdminFactory, MenteeFactory, MentorFactory

pytestmark = pytest.mark.django_db


def _mails() -> list[tuple[str, str]]:
    return sorted(OutboxMail.objects.values_list("to", "kind"))


def _opt_out(user, *kinds):
    User.objects.filter(pk=user.pk).update(notifications_off=list(kinds))
    user.refresh_from_db()


def test_select_over_http_writes_the_matched_mails_in_the_request(api):
    mentee, mentor = MenteeFactory(), MentorFactory(firstName="Grace", lastName="Hopper")

    response = api(mentee).post("/matching/select/", {"mentor_email": mentor.email})

    assert response.status_code == HTTPStatus.OK
    assert _mails() == sorted([(mentee.email, "matched"), (mentor.email, "matched")])
    to_mentee = OutboxMail.objects.get(to=mentee.email)
    assert to_mentee.subject == "You have been matched with Grace Hopper"
    assert f"your mentor, Grace Hopper ({mentor.email})" in to_mentee.body_text
    assert mail.outbox == []  # the request only wrote the outbox


def test_an_opted_out_side_gets_no_matched_mail():
    mentee, mentor = MenteeFactory(), MentorFactory()
    _opt_out(mentor, "matched")

    matches.select_mentor(mentee=mentee, mentor_email=mentor.email)

    assert _mails() == [(mentee.email, "matched")]


@pytest.mark.parametrize("leaver", ["mentee", "mentor"])
def test_unmatch_tells_the_other_side_only(leaver):
    mentee, mentor = MenteeFactory(), MentorFactory()
    matches.select_mentor(mentee=mentee, mentor_email=mentor.email)
    OutboxMail.objects.all().delete()
    mentor.refresh_from_db()

    if leaver == "mentee":
        matches.mentee_unmatch(
            mentee=mentee, mentor_email=mentor.email, confirmation=UNMATCH_CONFIRMATION
        )
        expected = [(mentor.email, "unmatched")]
    else:
        matches.mentor_unmatch(
            mentor=mentor, mentee_email=mentee.email, confirmation=UNMATCH_CONFIRMATION
        )
        expected = [(mentee.email, "unmatched")]

    assert _mails() == expected


def test_unmatched_mail_respects_the_opt_out():
    mentee, mentor = MenteeFactory(), MentorFactory()
    matches.select_mentor(mentee=mentee, mentor_email=mentor.email)
    OutboxMail.objects.all().delete()
    _opt_out(mentor, "unmatched")

    matches.mentee_unmatch(
        mentee=mentee, mentor_email=mentor.email, confirmation=UNMATCH_CONFIRMATION
    )

    assert _mails() == []


def test_invitation_received_goes_to_the_invited_side_or_both_for_an_admin():
    mentee, mentor, admin = MenteeFactory(), MentorFactory(), AdminFactory()

    invitations.create_invitation(
        creator=mentee, mentor_email=mentor.email, mentee_email=mentee.email
    )
    assert _mails() == [(mentor.email, "invitation_received")]
    assert "expires on" in OutboxMail.objects.get().body_text

    OutboxMail.objects.all().delete()
    other = MentorFactory()
    invitations.create_invitation(
        creator=admin, mentor_email=other.email, mentee_email=mentee.email
    )
    assert _mails() == sorted(
        [(other.email, "invitation_received"), (mentee.email, "invitation_received")]
    )
    assert (
        "A programme coordinator has proposed"
        in OutboxMail.objects.filter(to=other.email)[0].body_text
    )


def test_invitation_received_respects_the_opt_out():
    mentee, mentor = MenteeFactory(), MentorFactory()
    _opt_out(mentor, "invitation_received")

    invitations.create_invitation(
        creator=mentee, mentor_email=mentor.email, mentee_email=mentee.email
    )

    assert _mails() == []


def test_accept_tells_the_other_side_and_forming_the_match_mails_both():
    mentee, mentor, admin = MenteeFactory(), MentorFactory(), AdminFactory()
    invitation = invitations.create_invitation(
        creator=admin, mentor_email=mentor.email, mentee_email=mentee.email
    )
    OutboxMail.objects.all().delete()

    invitations.respond_invitation(user=mentor, invitation_id=str(invitation.pk), accept=True)
    assert _mails() == [(mentee.email, "invitation_accepted")]

    OutboxMail.objects.all().delete()
    invitations.respond_invitation(user=mentee, invitation_id=str(invitation.pk), accept=True)
    assert _mails() == sorted([(mentee.email, "matched"), (mentor.email, "matched")])


def test_decline_tells_the_other_side_unless_opted_out():
    mentee, mentor = MenteeFactory(), MentorFactory()
    invitation = invitations.create_invitation(
        creator=mentee, mentor_email=mentor.email, mentee_email=mentee.email
    )
    OutboxMail.objects.all().delete()

    invitations.respond_invitation(user=mentor, invitation_id=str(invitation.pk), accept=False)
    assert _mails() == [(mentee.email, "invitation_declined")]

    second = invitations.create_invitation(
        creator=mentee, mentor_email=mentor.email, mentee_email=mentee.email
    )
    _opt_out(mentee, "invitation_declined")
    OutboxMail.objects.all().delete()
    invitations.respond_invitation(user=mentor, invitation_id=str(second.pk), accept=False)
    assert _mails() == []


def test_expiry_tells_both_sides_once():
    mentee, mentor = MenteeFactory(), MentorFactory()
    invitations.create_invitation(
        creator=mentee, mentor_email=mentor.email, mentee_email=mentee.email
    )
    OutboxMail.objects.all().delete()
    _opt_out(mentor, "invitation_expired")
    later = timezone.now() + timedelta(days=365)

    assert invitations.expire_invitations(now=later) == 1
    assert invitations.expire_invitations(now=later) == 0

    assert _mails() == [(mentee.email, "invitation_expired")]


def test_round_published_mails_both_sides_unless_opted_out():
    mentee, mentor = MenteeFactory(), MentorFactory()
    _opt_out(mentee, "round_published")

    notify.round_published(mentee=mentee, mentor=mentor)

    assert _mails() == [(mentor.email, "round_published")]
    assert mentee.email in OutboxMail.objects.get().body_text


def test_accounts_pending_deletion_get_no_notifications():
    mentee, mentor = MenteeFactory(), MentorFactory()
    User.objects.filter(pk=mentor.pk).update(deletion_requested_at=timezone.now())
    mentor.refresh_from_db()

    notify.matched(mentee=mentee, mentor=mentor)

    assert _mails() == [(mentee.email, "matched")]


def test_invitation_accepted_respects_the_opt_out():
    mentee, mentor, admin = MenteeFactory(), MentorFactory(), AdminFactory()
    invitation = invitations.create_invitation(
        creator=admin, mentor_email=mentor.email, mentee_email=mentee.email
    )
    _opt_out(mentee, "invitation_accepted")
    OutboxMail.objects.all().delete()

    invitations.respond_invitation(user=mentor, invitation_id=str(invitation.pk), accept=True)

    assert _mails() == []
