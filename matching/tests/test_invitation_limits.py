"""Invitation creates are limited per user (INVITATION_CREATES_PER_USER)."""

from http import HTTPStatus

import pytest

from matching.models import Invitation
from users.tests.factories import MenteeFactory, MentorFactory

pytestmark = pytest.mark.django_db

INVITATIONS = "/matching/invitations/"


def test_invitation_creates_per_user(api, settings, limits_clock):
    settings.INVITATION_CREATES_PER_USER = "2/h"
    mentee, other = MenteeFactory(), MenteeFactory()
    mentors = MentorFactory.create_batch(3)
    client = api(mentee)
    for mentor in mentors[:2]:
        body = {"mentor_email": mentor.email, "mentee_email": mentee.email}
        assert client.post(INVITATIONS, body).status_code == HTTPStatus.CREATED

    refused = client.post(
        INVITATIONS, {"mentor_email": mentors[2].email, "mentee_email": mentee.email}
    )

    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert refused.json() == {
        "error": "Too many attempts; try again later.",
        "code": "rate_limited",
    }
    retry_after = int(refused["Retry-After"])
    assert 1 <= retry_after <= 3600
    assert Invitation.objects.count() == 2
    # Another user has a count of their own; listing is not limited.
    body = {"mentor_email": mentors[2].email, "mentee_email": other.email}
    assert api(other).post(INVITATIONS, body).status_code == HTTPStatus.CREATED
    assert client.get(INVITATIONS).status_code == HTTPStatus.OK
    # The window ends when Retry-After said.
    limits_clock.advance(retry_after)
    body = {"mentor_email": mentors[2].email, "mentee_email": mentee.email}
    assert client.post(INVITATIONS, body).status_code == HTTPStatus.CREATED
