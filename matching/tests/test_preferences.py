"""GET/PUT /matching/preferences/: the shortlist, availability, bad input and roles."""

from http import HTTPStatus

import pytest

from core.tests.test_openapi import _response_schema, validate
from matching.models import Preference
from users.models import User
from users.signals import user_purged
from users.tests.factories import MenteeFactory, MentorFactory

pytestmark = pytest.mark.django_db

URL = "/matching/preferences/"


def test_put_replaces_the_list_and_get_shows_it_ranked(api, mentee):
    first, second = MentorFactory(), MentorFactory()
    client = api(mentee)
    assert client.get(URL).json() == {"preferences": [], "max": 5}

    response = client.put(URL, {"mentors": [second.email, first.email.upper()]})

    assert response.status_code == HTTPStatus.OK
    expected = {
        "preferences": [
            {"mentor": second.email, "rank": 1, "available": True},
            {"mentor": first.email, "rank": 2, "available": True},
        ],
        "max": 5,
    }
    assert response.json() == expected
    validate(response.json(), _response_schema(URL, "put", 200))
    assert client.get(URL).json() == expected
    assert client.put(URL, {"mentors": [first.email]}).json()["preferences"] == [
        {"mentor": first.email, "rank": 1, "available": True}
    ]
    assert client.put(URL, {"mentors": []}).json()["preferences"] == []


def test_an_unavailable_mentor_stays_listed_as_unavailable(api, mentee, settings):
    settings.MAX_MENTEES = 1
    full, resting, leaving, gone, fine = (MentorFactory() for _ in range(5))
    client = api(mentee)
    client.put(URL, {"mentors": [m.email for m in (full, resting, leaving, gone, fine)]})
    User.objects.filter(pk=full.pk).update(current_mentees=["someone@example.edu"])
    User.objects.filter(pk=resting.pk).update(is_seeking_mentee=False)
    User.objects.filter(pk=leaving.pk).update(deletion_requested_at="2026-01-01T00:00:00Z")
    User.objects.filter(pk=gone.pk).delete()

    body = client.get(URL).json()

    validate(body, _response_schema(URL, "get", 200))
    assert [(p["mentor"], p["available"]) for p in body["preferences"]] == [
        (full.email, False),
        (resting.email, False),
        (leaving.email, False),
        (gone.email, False),
        (fine.email, True),
    ]


@pytest.mark.parametrize(
    "body, status, code",
    [
        ({"mentors": ["nobody@example.edu"]}, HTTPStatus.NOT_FOUND, "user_not_found"),
        ("mentee", HTTPStatus.BAD_REQUEST, "not_a_mentor"),
        ("blacklisted", HTTPStatus.FORBIDDEN, "blacklisted"),
        ("duplicate", HTTPStatus.BAD_REQUEST, "invalid_field"),
        ("too_many", HTTPStatus.BAD_REQUEST, "invalid_field"),
        ({"mentors": "x@example.edu"}, HTTPStatus.BAD_REQUEST, "invalid_field"),
        ({"mentors": [1]}, HTTPStatus.BAD_REQUEST, "invalid_field"),
        ({}, HTTPStatus.BAD_REQUEST, "missing_field"),
        ({"mentors": [], "extra": 1}, HTTPStatus.BAD_REQUEST, "unknown_field"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(api, settings, body, status, code):
    settings.MAX_PREFERENCES = 2
    mentors = [MentorFactory() for _ in range(3)]
    mentee = MenteeFactory(blacklisted_mentors=[mentors[2].email])
    client = api(mentee)
    client.put(URL, {"mentors": [mentors[0].email]})
    before = client.get(URL).json()
    body = (
        {
            "mentee": {"mentors": [MenteeFactory().email]},
            "blacklisted": {"mentors": [mentors[1].email, mentors[2].email]},
            "duplicate": {"mentors": [mentors[0].email, mentors[0].email.upper()]},
            "too_many": {"mentors": [m.email for m in mentors]},
        }.get(body, body)
        if isinstance(body, str)
        else body
    )

    response = client.put(URL, body)

    assert response.status_code == status, response.json()
    assert response.json()["code"] == code and response.json()["error"]
    assert client.get(URL).json() == before


def test_only_mentees(api, mentor, admin_user):
    for user in (mentor, admin_user):
        client = api(user)
        for response in (client.get(URL), client.put(URL, {"mentors": []})):
            assert response.status_code == HTTPStatus.FORBIDDEN
            assert response.json()["code"] == "wrong_role"
    assert api().get(URL).status_code == HTTPStatus.UNAUTHORIZED
    assert not Preference.objects.exists()


def test_a_purged_account_leaves_the_lists(api, mentee):
    kept, purged = MentorFactory(), MentorFactory()
    api(mentee).put(URL, {"mentors": [purged.email, kept.email]})

    user_purged.send(sender=User, user=purged)
    assert Preference.objects.get(mentee_email=mentee.email).mentors == [kept.email]
    user_purged.send(sender=User, user=mentee)
    assert not Preference.objects.exists()
