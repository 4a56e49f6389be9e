"""Invitations over HTTP: the state machine, permissions, expiry, races."""

from datetime import timedelta
from functools import partial
from http import HTTPStatus

import pytest
from django.utils import timezone

from core.errors import AppError
from matching import services as matching
from matching.models import Invitation
from users.models import User
from users.tests.factories import AdminFactory, MenteeFactory, MentorFactory

pytestmark = pytest.mark.django_db

INVITATIONS = "/matching/invitations/"


def _respond(api, user, invitation_id, accept):
    return api(user).post(f"{INVITATIONS}{invitation_id}/respond/", {"accept": accept})


def _create(api, creator, mentor, mentee):
    return api(creator).post(
        INVITATIONS, {"mentor_email": mentor.email, "mentee_email": mentee.email}
    )


def _fresh(user):
    return User.objects.get(pk=user.pk)


def test_mentee_invites_mentor_who_accepts_and_the_match_forms(api):
    mentee, mentor = MenteeFactory(), MentorFactory()

    created = _create(api, mentee, mentor, mentee)

    assert created.status_code == HTTPStatus.CREATED
    invitation = created.json()["invitation"]
    assert invitation["status"] == "pending"
    assert (invitation["mentee_response"], invitation["mentor_response"]) == ("accepted", None)
    assert (invitation["mentor"], invitation["mentee"], invitation["created_by"]) == (
        mentor.email,
        mentee.email,
        mentee.email,
    )
    assert set(invitation) == {
        "id",
        "mentor",
        "mentee",
        "created_by",
        "created_at",
        "expires_at",
        "mentor_response",
        "mentee_response",
        "status",
    }

    accepted = _respond(api, mentor, invitation["id"], True)

    assert accepted.status_code == HTTPStatus.OK
    assert accepted.json()["invitation"]["status"] == "accepted"
    assert _fresh(mentee).matchedMentorEmail == mentor.email
    assert _fresh(mentor).current_mentees == [mentee.email]


def test_mentor_invites_mentee(api):
    mentee, mentor = MenteeFactory(), MentorFactory()
    invitation = _create(api, mentor, mentor, mentee).json()["invitation"]

    assert invitation["mentor_response"] == "accepted"
    assert _respond(api, mentee, invitation["id"], True).json()["invitation"]["status"] == (
        "accepted"
    )


def test_admin_matchmaker_needs_both_sides(api, admin_user):
    mentee, mentor = MenteeFactory(), MentorFactory()
    invitation = _create(api, admin_user, mentor, mentee).json()["invitation"]
    assert (invitation["mentor_response"], invitation["mentee_response"]) == (None, None)

    half = _respond(api, mentor, invitation["id"], True).json()["invitation"]

    assert (half["status"], half["mentor_response"]) == ("pending", "accepted")
    assert _fresh(mentee).isMatched is False
    done = _respond(api, mentee, invitation["id"], True).json()["invitation"]
    assert done["status"] == "accepted"
    assert _fresh(mentee).matchedMentorEmail == mentor.email


@pytest.mark.parametrize("decliner", ["mentor", "mentee"])
def test_one_decline_ends_it(api, admin_user, decliner):
    mentee, mentor = MenteeFactory(), MentorFactory()
    invitation = _create(api, admin_user, mentor, mentee).json()["invitation"]
    _respond(api, mentor if decliner == "mentee" else mentee, invitation["id"], True)

    response = _respond(api, mentor if decliner == "mentor" else mentee, invitation["id"], False)

    body = response.json()["invitation"]
    assert body["status"] == "declined"
    assert body[f"{decliner}_response"] == "declined"
    later = _respond(api, mentee, invitation["id"], True)
    assert later.status_code == HTTPStatus.CONFLICT
    assert later.json()["code"] == "invitation_not_pending"
    assert _fresh(mentee).isMatched is False


def test_only_parties_or_admins_create(api):
    mentee, mentor, outsider = MenteeFactory(), MentorFactory(), MentorFactory()

    response = _create(api, outsider, mentor, mentee)

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["code"] == "not_invitation_party"
    assert Invitation.objects.count() == 0


def test_only_the_named_pair_responds(api, admin_user):
    mentee, mentor, outsider = MenteeFactory(), MentorFactory(), MenteeFactory()
    invitation = _create(api, admin_user, mentor, mentee).json()["invitation"]

    outsider_reply = _respond(api, outsider, invitation["id"], True)
    admin_reply = _respond(api, admin_user, invitation["id"], True)

    assert outsider_reply.json()["code"] == "not_invitation_party"
    assert admin_reply.status_code == HTTPStatus.FORBIDDEN
    assert Invitation.objects.get().mentor_response is None


@pytest.mark.parametrize(
    ("mentor_key", "mentee_key", "status", "code"),
    [
        ("nobody", "mentee", 404, "user_not_found"),
        ("mentee", "mentee", 400, "self_invitation"),
        ("mentee", "other_mentee", 400, "not_a_mentor"),
        ("mentor", "mentor", 400, "self_invitation"),
        ("mentor", "other_mentor", 400, "not_a_mentee"),
    ],
)
def test_create_rejects_bad_pairs(api, admin_user, mentor_key, mentee_key, status, code):
    people = {
        "mentee": MenteeFactory(),
        "other_mentee": MenteeFactory(),
        "mentor": MentorFactory(),
        "other_mentor": MentorFactory(),
    }
    email = {k: v.email for k, v in people.items()} | {"nobody": "nobody@example.edu"}

    response = api(admin_user).post(
        INVITATIONS, {"mentor_email": email[mentor_key], "mentee_email": email[mentee_key]}
    )

    assert response.status_code == status
    assert response.json()["code"] == code
    assert Invitation.objects.count() == 0


def test_create_rejects_matched_mentee_blacklisted_pair_and_duplicates(api, admin_user):
    mentee, mentor, other = MenteeFactory(), MentorFactory(), MentorFactory()
    assert _create(api, admin_user, mentor, mentee).status_code == 201

    duplicate = _create(api, admin_user, mentor, mentee)
    User.objects.filter(pk=mentee.pk).update(blacklisted_mentors=[other.email])
    blacklisted = _create(api, admin_user, other, mentee)
    matched = MenteeFactory(isMatched=True, matchedMentorEmail=other.email)
    already = _create(api, admin_user, mentor, matched)

    assert (duplicate.status_code, duplicate.json()["code"]) == (409, "invitation_exists")
    assert (blacklisted.status_code, blacklisted.json()["code"]) == (403, "blacklisted")
    assert (already.status_code, already.json()["code"]) == (400, "already_matched")
    assert Invitation.objects.count() == 1


def test_failing_rule_keeps_it_pending_with_the_error(api, admin_user, settings):
    settings.MAX_MENTEES = 1
    mentee, mentor = MenteeFactory(), MentorFactory(current_mentees=["x@example.edu"])
    invitation = _create(api, admin_user, mentor, mentee).json()["invitation"]
    _respond(api, mentee, invitation["id"], True)

    response = _respond(api, mentor, invitation["id"], True)

    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json()["code"] == "mentor_full"
    stored = Invitation.objects.get()
    assert (stored.status, stored.mentor_response, stored.mentee_response) == (
        "pending",
        "accepted",
        "accepted",
    )
    assert _fresh(mentee).isMatched is False
    User.objects.filter(pk=mentor.pk).update(current_mentees=[])
    retry = _respond(api, mentor, invitation["id"], True)
    assert retry.json()["invitation"]["status"] == "accepted"


def test_match_closes_other_pending_invitations_of_the_mentee(api, admin_user):
    mentee, first, second = MenteeFactory(), MentorFactory(), MentorFactory()
    one = _create(api, mentee, first, mentee).json()["invitation"]
    two = _create(api, mentee, second, mentee).json()["invitation"]

    _respond(api, first, one["id"], True)

    assert Invitation.objects.get(pk=two["id"]).status == "cancelled"
    late = _respond(api, second, two["id"], True)
    assert late.json()["code"] == "invitation_not_pending"
    assert _fresh(second).current_mentees == []


def test_invitations_expire(api, admin_user, settings):
    settings.INVITATION_EXPIRY_DAYS = 14
    mentee, mentor = MenteeFactory(), MentorFactory()
    invitation = _create(api, mentee, mentor, mentee).json()["invitation"]
    created = timezone.now()
    assert invitation["expires_at"][:10] == (created + timedelta(days=14)).date().isoformat()
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    response = _respond(api, mentor, invitation["id"], True)

    assert response.json()["code"] == "invitation_not_pending"
    assert Invitation.objects.get().status == "expired"
    assert api(mentee).get(INVITATIONS).json() == {"invitations": []}
    assert _create(api, mentee, mentor, mentee).status_code == HTTPStatus.CREATED


def test_cancel_by_creator_or_admin_only(api, admin_user):
    mentee, mentor = MenteeFactory(), MentorFactory()
    invitation = _create(api, mentee, mentor, mentee).json()["invitation"]
    url = f"{INVITATIONS}{invitation['id']}/cancel/"

    by_mentor = api(mentor).post(url)
    by_admin = api(admin_user).post(url)
    again = api(mentee).post(url)

    assert by_mentor.json()["code"] == "not_invitation_party"
    assert by_admin.json()["invitation"]["status"] == "cancelled"
    assert again.json()["code"] == "invitation_not_pending"


def test_list_shows_active_invitations_of_the_caller_and_all_to_admins(api, admin_user):
    mentee, mentor, other_mentee = MenteeFactory(), MentorFactory(), MenteeFactory()
    mine = _create(api, mentee, mentor, mentee).json()["invitation"]
    theirs = _create(api, other_mentee, mentor, other_mentee).json()["invitation"]
    declined = _create(api, admin_user, MentorFactory(), mentee).json()["invitation"]
    _respond(api, mentee, declined["id"], False)

    assert [i["id"] for i in api(mentee).get(INVITATIONS).json()["invitations"]] == [mine["id"]]
    assert {i["id"] for i in api(mentor).get(INVITATIONS).json()["invitations"]} == {
        mine["id"],
        theirs["id"],
    }
    assert len(api(admin_user).get(INVITATIONS).json()["invitations"]) == 2


@pytest.mark.parametrize("bad_id", ["nope", "0123456789abcdef01234567"])
def test_unknown_invitation_is_404(api, bad_id):
    response = _respond(api, MenteeFactory(), bad_id, True)

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["code"] == "invitation_not_found"


@pytest.mark.parametrize("body", [{}, {"accept": "yes"}, {"accept": 1}, {"accept": None}])
def test_respond_needs_a_boolean(api, admin_user, body):
    mentee, mentor = MenteeFactory(), MentorFactory()
    invitation = _create(api, admin_user, mentor, mentee).json()["invitation"]

    response = api(mentee).post(f"{INVITATIONS}{invitation['id']}/respond/", body)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert Invitation.objects.get().mentee_response is None


@pytest.mark.django_db(transaction=True)
def test_accept_racing_a_select_for_the_last_seat_stays_consistent(settings, all_at_once):
    settings.MAX_MENTEES = 1
    admin = AdminFactory()
    invited, selector, mentor = MenteeFactory(), MenteeFactory(), MentorFactory()
    from matching.services.invitations import create_invitation, respond_invitation

    created = create_invitation(
        creator=admin, mentor_email=mentor.email, mentee_email=invited.email
    )
    respond_invitation(user=invited, invitation_id=str(created.pk), accept=True)

    def outcome(call, **kwargs):
        try:
            call(**kwargs)
            return "ok"
        except AppError as error:
            return error.code

    accept = partial(outcome, respond_invitation, user=mentor, invitation_id=str(created.pk))
    select = partial(outcome, matching.select_mentor, mentee=selector, mentor_email=mentor.email)
    accepted, selected = all_at_once([partial(accept, accept=True), select])
    outcomes = {"invitation": accepted, "select": selected}

    assert sorted(outcomes.values()) == ["mentor_full", "ok"]
    roster = _fresh(mentor).current_mentees
    assert len(roster) == 1
    winner = invited if outcomes["invitation"] == "ok" else selector
    assert roster == [winner.email]
    assert _fresh(winner).matchedMentorEmail == mentor.email
    loser = selector if winner is invited else invited
    assert _fresh(loser).isMatched is False
    expected_status = "accepted" if winner is invited else "pending"
    assert Invitation.objects.get().status == expected_status
