from datetime import timedelta
from http import HTTPStatus

import pytest
from django.utils import timezone

from users.models import NOTIFICATION_KINDS, User

pytestmark = pytest.mark.django_db

ME = "/users/me/"
RESTORE = "/users/me/restore/"


def test_me_returns_the_whole_user_without_password(api, mentee):
    response = api(mentee).get(ME)

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {
        "user": {
            "id": str(mentee.pk),
            "email": mentee.email,
            "role": "MENTEE",
            "firstName": mentee.firstName,
            "lastName": mentee.lastName,
            "name": f"{mentee.firstName} {mentee.lastName}",
            "major": [],
            "minor": [],
            "year": None,
            "hobbies": "",
            "clubs": "",
            "goals": "",
            "international": False,
            "commuter": False,
            "firstgen": False,
            "outofstate": False,
            "transfer": False,
            "specialCategories": [],
            "is_seeking_mentor": True,
            "is_seeking_mentee": True,
            "requirements": "",
            "isMatched": False,
            "matchedMentorEmail": None,
            "current_mentees": [],
            "date_joined": mentee.date_joined.isoformat(timespec="milliseconds").replace(
                "+00:00", "Z"
            ),
            "deletion_requested_at": None,
            "deletion_scheduled_for": None,
            "email_verified": False,
            "email_notifications": {kind: True for kind in NOTIFICATION_KINDS},
        }
    }


def test_me_shows_years_and_categories_as_the_api_does(api, mentor):
    mentor.year = "5+"
    mentor.firstgen = mentor.transfer = True
    mentor.firstName = mentor.lastName = " "
    mentor.save()

    user = api(mentor).get(ME).json()["user"]

    assert user["year"] == "5+"
    assert user["specialCategories"] == ["firstgen", "transfer"]
    assert user["name"] == "Not provided"


def test_delete_me_schedules_deletion_after_the_grace_period(api, mentee, settings):
    settings.ACCOUNT_DELETION_GRACE_DAYS = 30
    before = timezone.now()

    response = api(mentee).delete(ME)

    assert response.status_code == HTTPStatus.ACCEPTED
    mentee.refresh_from_db()
    assert mentee.deletion_requested_at >= before.replace(microsecond=0)
    scheduled = mentee.deletion_requested_at + timedelta(days=30)
    assert response.json() == {
        "deletion_scheduled_for": scheduled.isoformat(timespec="milliseconds").replace(
            "+00:00", "Z"
        )
    }


def test_delete_me_twice_keeps_the_first_date(api, mentee):
    first = api(mentee).delete(ME).json()

    second = api(mentee).delete(ME)

    assert second.status_code == HTTPStatus.ACCEPTED
    assert second.json() == first


def test_pending_deletion_user_can_still_sign_in_read_me_and_restore(api, mentee):
    from users.tests.factories import DEFAULT_PASSWORD

    api(mentee).delete(ME)
    login = api().post("/auth/login/", {"email": mentee.email, "password": DEFAULT_PASSWORD})
    assert login.status_code == HTTPStatus.OK
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {login.json()['access']}"}
    assert api().get(ME, **bearer).json()["user"]["deletion_scheduled_for"] is not None

    response = api().post(RESTORE, **bearer)

    assert response.status_code == HTTPStatus.OK
    assert response.json()["user"]["deletion_requested_at"] is None
    assert User.objects.get(pk=mentee.pk).deletion_requested_at is None


def test_restore_when_not_pending_is_409(api, mentee):
    response = api(mentee).post(RESTORE)

    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json()["code"] == "not_pending_deletion"


def test_restore_rejects_a_body_with_fields(api, mentee):
    api(mentee).delete(ME)

    response = api(mentee).post(RESTORE, {"force": True})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert User.objects.get(pk=mentee.pk).deletion_requested_at is not None


@pytest.mark.parametrize(("method", "path"), [("PUT", ME), ("POST", ME), ("GET", RESTORE)])
def test_wrong_method_is_405_with_allow_header(api, mentee, method, path):
    response = api(mentee).request(method, path)

    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert response.json()["code"] == "method_not_allowed"
    assert response["Allow"]
