"""Sessions live in the user's document (users/tokens.py): one read authenticates, and
revocation, expiry and stale saves behave."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.db import connection
from django.utils import timezone

from core.db_commands import counting
from users import tokens
from users.models import RefreshToken, User

pytestmark = pytest.mark.django_db

ME = "/users/me/"


def _document(user) -> dict:
    return connection.get_collection(User._meta.db_table).find_one({"_id": user.pk})


def _bearer(pair) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {pair['access']}"}


def test_authentication_is_one_round_trip(api, mentee):
    pair = tokens.issue_tokens(mentee)
    with counting() as log, log.recording() as commands:
        response = api().get(ME, **_bearer(pair))

    assert response.status_code == HTTPStatus.OK
    assert [name for name, _ in commands] == ["find"]


def test_a_stale_save_does_not_bring_back_a_revoked_session(api, mentee):
    pair = tokens.issue_tokens(mentee)
    stale = User.objects.get(pk=mentee.pk)  # read while the session is live
    tokens.revoke_refresh(pair["refresh"], user=mentee)

    stale.firstName = "Saved"
    stale.save()

    assert api().get(ME, **_bearer(pair)).status_code == HTTPStatus.UNAUTHORIZED
    assert _document(mentee)["sessions"] == []


def test_an_expired_session_refuses_a_still_valid_access_token(api, mentee):
    pair = tokens.issue_tokens(mentee)
    past = timezone.now() - timedelta(seconds=1)
    connection.get_collection(User._meta.db_table).update_one(
        {"_id": mentee.pk}, {"$set": {"sessions.0.expires_at": past}}
    )

    response = api().get(ME, **_bearer(pair))

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["code"] == "invalid_token"


def test_a_new_session_drops_the_expired_ones_and_keeps_the_live(mentee):
    first = tokens.issue_tokens(mentee)
    second = tokens.issue_tokens(mentee)
    past = timezone.now() - timedelta(seconds=1)
    connection.get_collection(User._meta.db_table).update_one(
        {"_id": mentee.pk}, {"$set": {"sessions.0.expires_at": past}}
    )

    tokens.issue_tokens(mentee)

    kept = [s["jti"] for s in _document(mentee)["sessions"]]
    assert len(kept) == 2
    assert tokens._decode(first["refresh"], "refresh")["jti"] not in kept
    assert tokens._decode(second["refresh"], "refresh")["jti"] == kept[0]


def test_logout_ends_the_session_for_the_next_request_and_records_it(api, mentee):
    pair = tokens.issue_tokens(mentee)
    other = tokens.issue_tokens(mentee)

    response = api().post("/auth/logout/", {"refresh": pair["refresh"]}, **_bearer(pair))

    assert response.status_code == HTTPStatus.NO_CONTENT
    assert api().get(ME, **_bearer(pair)).status_code == HTTPStatus.UNAUTHORIZED
    assert api().get(ME, **_bearer(other)).status_code == HTTPStatus.OK
    jti = tokens._decode(pair["refresh"], "refresh")["jti"]
    assert RefreshToken.objects.get(jti=jti).revoked_at is not None


def test_revoking_in_the_admin_ends_the_session(api, mentee, admin_user):
    pair = tokens.issue_tokens(mentee)
    jti = tokens._decode(pair["refresh"], "refresh")["jti"]
    session = RefreshToken.objects.get(jti=jti)
    client = api().client
    client.force_login(admin_user)

    response = client.post(
        f"/admin/users/refreshtoken/{session.pk}/change/",
        {"revoked_at_0": "2026-01-01", "revoked_at_1": "00:00:00"},
    )

    assert response.status_code == HTTPStatus.FOUND, response.content[:500]
    assert api().get(ME, **_bearer(pair)).json()["code"] == "invalid_token"
    refreshed = api().post("/auth/refresh/", {"refresh": pair["refresh"]})
    assert refreshed.json()["code"] == "invalid_token"


def test_the_authenticated_user_is_the_one_the_orm_reads(mentee):
    pair = tokens.issue_tokens(mentee)
    claims = tokens._decode(pair["access"], "access")

    found = tokens._user_with_session(claims["sub"], claims["sid"])

    expected = User.objects.get(pk=mentee.pk)
    for field in User._meta.concrete_fields:
        assert getattr(found, field.attname) == getattr(expected, field.attname), field.name
    assert found.date_joined.tzinfo is not None


def test_the_migration_copies_live_sessions_only_and_can_run_twice(api, mentee):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("users.migrations.0003_sessions_in_user_document")
    now = timezone.now()
    live = RefreshToken.objects.create(jti="live", user=mentee, expires_at=now + timedelta(days=1))
    RefreshToken.objects.create(jti="old", user=mentee, expires_at=now - timedelta(seconds=1))
    RefreshToken.objects.create(
        jti="revoked", user=mentee, expires_at=now + timedelta(days=1), revoked_at=now
    )

    for _ in range(2):
        migration.copy_live_sessions(apps, connection.schema_editor())

    assert [s["jti"] for s in _document(mentee)["sessions"]] == ["live"]
    access = tokens.issue_access(user_id=str(mentee.pk), session_id=live.jti)
    assert api().get(ME, **_bearer({"access": access})).status_code == HTTPStatus.OK
