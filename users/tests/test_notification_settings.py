"""The profile's email_notifications: shown by GET /users/me/, set by PUT /matching/profile/."""

from http import HTTPStatus

import pytest

from users.models import NOTIFICATION_KINDS, User

pytestmark = pytest.mark.django_db

PROFILE = "/matching/profile/"


def test_turning_kinds_off_and_on_again(api, mentee):
    client = api(mentee)

    response = client.put(
        PROFILE, {"email_notifications": {"chat_digest": False, "matched": False}}
    )

    assert response.status_code == HTTPStatus.OK
    shown = response.json()["user"]["email_notifications"]
    assert shown == {kind: kind not in ("chat_digest", "matched") for kind in NOTIFICATION_KINDS}
    assert User.objects.get(pk=mentee.pk).notifications_off == ["matched", "chat_digest"]

    client.put(PROFILE, {"email_notifications": {"matched": True}})

    assert User.objects.get(pk=mentee.pk).notifications_off == ["chat_digest"]
    me = client.get("/users/me/").json()["user"]
    assert me["email_notifications"]["chat_digest"] is False
    assert me["email_notifications"]["matched"] is True


@pytest.mark.parametrize(
    "value, code",
    [
        ({"newsletter": False}, "unknown_field"),
        ({"matched": "false"}, "invalid_field"),
        ({"matched": 0}, "invalid_field"),
        ({"matched": None}, "invalid_field"),
        (["matched"], "invalid_field"),
        ("matched", "invalid_field"),
        (True, "invalid_field"),
    ],
)
def test_unknown_kinds_and_non_booleans_are_400_and_change_nothing(api, mentee, value, code):
    User.objects.filter(pk=mentee.pk).update(notifications_off=["unmatched"])

    response = api(mentee).put(PROFILE, {"email_notifications": value, "firstName": "Changed"})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == code
    stored = User.objects.get(pk=mentee.pk)
    assert stored.notifications_off == ["unmatched"]
    assert stored.firstName == mentee.firstName
