from http import HTTPStatus

import pytest

from matching import scoring
from matching.models import Score
from matching.tests.factories import scorable_mentor
from users.models import User, max_length
from users.tests.factories import MenteeFactory

pytestmark = pytest.mark.django_db

PROFILE = "/matching/profile/"


def test_profile_update_saves_and_scores_before_responding(api):
    mentor = scorable_mentor()
    mentee = MenteeFactory()
    encodes = scoring.encode_count

    response = api(mentee).put(
        PROFILE,
        {
            "major": ["Computer Science", " "],
            "year": 1,
            "hobbies": " chess ",
            "firstgen": True,
            "firstName": "Ada",
        },
    )

    assert response.status_code == HTTPStatus.OK
    user = response.json()["user"]
    assert (user["major"], user["year"], user["hobbies"], user["firstgen"]) == (
        ["Computer Science"],
        1,
        "chess",
        True,
    )
    assert user["firstName"] == "Ada"
    assert Score.objects.filter(mentee_email=mentee.email, mentor_email=mentor.email).exists()
    assert scoring.encode_count - encodes == 1
    assert api(User.objects.get(pk=mentee.pk)).get("/matching/matches/").json()["total"] == 1


def test_year_accepts_5_plus_string(api):
    mentee = MenteeFactory()

    response = api(mentee).put(PROFILE, {"year": "5+"})

    assert response.json()["user"]["year"] == "5+"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"year": 6}, "validation_failed"),
        ({"year": "senior"}, "validation_failed"),
        ({"year": True}, "invalid_field"),
        ({"major": "Biology"}, "invalid_field"),
        ({"major": [{"$ne": 1}]}, "invalid_field"),
        ({"hobbies": {"$gt": ""}}, "invalid_field"),
        ({"hobbies": "x" * (max_length("hobbies") + 1)}, "validation_failed"),
        ({"international": "yes"}, "invalid_field"),
        ({"email": "new@example.edu"}, "unknown_field"),
        ({"role": "ADMIN"}, "unknown_field"),
        ({"isMatched": True}, "unknown_field"),
        ({"password": "hunter2hunter2"}, "unknown_field"),
    ],
)
def test_profile_update_rejects_bad_input_and_changes_nothing(api, body, code):
    mentee = MenteeFactory(hobbies="before")

    response = api(mentee).put(PROFILE, body)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == code
    fresh = User.objects.get(pk=mentee.pk)
    assert (fresh.hobbies, fresh.year, fresh.major, fresh.email, fresh.role) == (
        "before",
        "",
        [],
        mentee.email,
        "MENTEE",
    )


def test_profile_update_needs_put(api):
    mentee = MenteeFactory(hobbies="chess")

    response = api(mentee).post(PROFILE, {"hobbies": "x"})

    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert response.json()["code"] == "method_not_allowed"
    assert User.objects.get(pk=mentee.pk).hobbies == "chess"
