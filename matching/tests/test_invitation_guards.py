"""Invitation guards: mentor availability, one pending invitation per pair, and the cap on a
mentee's pending invitations - also under concurrent creates against a live server."""

from functools import partial
from http import HTTPStatus

import pytest

from matching.models import Invitation
from matching.tests.test_concurrency import _post
from users import tokens
from users.models import User
from users.tests.factories import AdminFactory, MenteeFactory, MentorFactory

pytestmark = pytest.mark.django_db(transaction=True)
INVITATIONS = "/matching/invitations/"
UNAVAILABLE = [
    {"is_seeking_mentee": False},
    {"deletion_requested_at": "2026-01-01T00:00:00Z"},
    {"is_active": False},
]


def _create(api, creator, mentor, mentee):
    return api(creator).post(
        INVITATIONS, {"mentor_email": mentor.email, "mentee_email": mentee.email}
    )


@pytest.mark.parametrize("unavailable", UNAVAILABLE)
def test_create_rejects_a_mentor_not_taking_mentees(api, unavailable):
    mentor, mentee = MentorFactory(**unavailable), MenteeFactory()

    response = _create(api, mentee, mentor, mentee)

    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json() == {
        "error": "This mentor is not taking mentees (not seeking, inactive or leaving).",
        "code": "mentor_unavailable",
    }
    assert Invitation.objects.count() == 0


def test_select_of_a_mentor_not_seeking_is_409_mentor_unavailable(api):
    mentor, mentee = MentorFactory(is_seeking_mentee=False), MenteeFactory()

    response = api(mentee).post("/matching/select/", {"mentor_email": mentor.email})

    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json()["code"] == "mentor_unavailable"
    assert User.objects.get(pk=mentor.pk).current_mentees == []
    assert not User.objects.get(pk=mentee.pk).isMatched


def test_accepting_an_invitation_of_a_mentor_who_stopped_seeking_is_409(api):
    mentor, mentee = MentorFactory(), MenteeFactory()
    invitation_id = _create(api, mentee, mentor, mentee).json()["invitation"]["id"]
    User.objects.filter(pk=mentor.pk).update(is_seeking_mentee=False)

    response = api(User.objects.get(pk=mentor.pk)).post(
        f"{INVITATIONS}{invitation_id}/respond/", {"accept": True}
    )

    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json()["code"] == "mentor_unavailable"
    assert Invitation.objects.get().status == "pending"
    assert not User.objects.get(pk=mentee.pk).isMatched


def test_a_pair_can_be_invited_again_once_its_invitation_is_no_longer_pending(api):
    mentor, mentee = MentorFactory(), MenteeFactory()
    first = _create(api, mentee, mentor, mentee).json()["invitation"]["id"]
    api(mentee).post(f"{INVITATIONS}{first}/cancel/", {})

    response = _create(api, mentee, mentor, mentee)

    assert response.status_code == HTTPStatus.CREATED
    assert Invitation.objects.filter(status="pending").count() == 1


def test_the_cap_on_a_mentees_pending_invitations_counts_every_creator(api, settings):
    settings.MAX_PENDING_INVITATIONS_PER_MENTEE = 3
    mentee, admin = MenteeFactory(), AdminFactory()
    mentors = [MentorFactory() for _ in range(4)]
    statuses = [_create(api, mentee, mentors[0], mentee).status_code]
    statuses.append(_create(api, mentors[1], mentors[1], mentee).status_code)
    statuses.append(_create(api, admin, mentors[2], mentee).status_code)

    refused = _create(api, mentee, mentors[3], mentee)

    assert statuses == [HTTPStatus.CREATED] * 3
    assert refused.status_code == HTTPStatus.CONFLICT
    assert refused.json() == {
        "error": "This mentee has too many pending invitations; some must be answered first.",
        "code": "too_many_pending_invitations",
    }
    assert Invitation.objects.filter(status="pending").count() == 3
    declined = Invitation.objects.get(mentor_email=mentors[1].email)
    api(mentee).post(f"{INVITATIONS}{declined.pk}/respond/", {"accept": False})
    assert _create(api, mentee, mentors[3], mentee).status_code == HTTPStatus.CREATED


def test_ten_concurrent_creates_for_one_pair_make_one_invitation(live_server, all_at_once):
    mentor, mentee = MentorFactory(), MenteeFactory()
    access = tokens.issue_tokens(mentee)["access"]
    body = {"mentor_email": mentor.email, "mentee_email": mentee.email}
    url = f"{live_server.url}{INVITATIONS}"

    statuses = all_at_once([partial(_post, url, access, body) for _ in range(10)])

    assert sorted(statuses) == [201] + [409] * 9
    assert Invitation.objects.filter(status="pending").count() == 1


def test_concurrent_creates_for_one_mentee_stop_at_the_cap(live_server, settings, all_at_once):
    settings.MAX_PENDING_INVITATIONS_PER_MENTEE = 3
    mentee = MenteeFactory()
    mentors = [MentorFactory() for _ in range(8)]
    access = tokens.issue_tokens(mentee)["access"]
    url = f"{live_server.url}{INVITATIONS}"
    calls = [
        partial(_post, url, access, {"mentor_email": m.email, "mentee_email": mentee.email})
        for m in mentors
    ]

    statuses = all_at_once(calls)

    assert sorted(statuses) == [201] * 3 + [409] * 5
    assert Invitation.objects.filter(mentee_email=mentee.email, status="pending").count() == 3
