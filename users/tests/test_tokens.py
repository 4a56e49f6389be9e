from datetime import timedelta
from http import HTTPStatus

import jwt
import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from users import tokens
from users.models import RefreshToken, User

pytestmark = pytest.mark.django_db

ME = "/users/me/"


def _bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def _users():
    return connection.get_collection(User._meta.db_table)


def _forge(claims: dict, key: str | None = None) -> str:
    return jwt.encode(claims, key or settings.SECRET_KEY, algorithm="HS256")


def _claims(user, **overrides) -> dict:
    session = RefreshToken.objects.create(
        jti="s1", user=user, expires_at=timezone.now() + timedelta(days=1)
    )
    tokens.start_session(user.pk, session.jti, session.expires_at)
    now = timezone.now()
    claims = {
        "iss": tokens.ISSUER,
        "typ": "access",
        "sub": str(user.pk),
        "sid": session.jti,
        "jti": "a1",
        "iat": now,
        "exp": now + timedelta(minutes=5),
    }
    claims.update(overrides)
    return claims


def test_missing_header_is_401_unauthorized(api, mentee):
    response = api().get(ME)

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json() == {
        "error": "Authentication credentials were not provided.",
        "code": "unauthorized",
    }


@pytest.mark.parametrize("header", ["Token abc", "Bearer", "Bearer    ", "Basic dXNlcjpwYXNz"])
def test_malformed_header_is_401(api, mentee, header):
    response = api().get(ME, HTTP_AUTHORIZATION=header)

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["code"] == "invalid_token"


def test_expired_access_token_is_401_token_expired(api, mentee):
    past = timezone.now() - timedelta(hours=1)
    token = _forge(_claims(mentee, iat=past, exp=past + timedelta(minutes=5)))

    response = api().get(ME, **_bearer(token))

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["code"] == "token_expired"


@pytest.mark.parametrize(
    "mutate",
    [
        lambda c, k: (_forge(c, key="another-secret-key-of-enough-length-xx"), None),
        lambda c, k: (_forge({**c, "typ": "refresh"}), None),
        lambda c, k: (_forge({**c, "sub": "not-an-object-id"}), None),
        lambda c, k: (_forge({**c, "sub": "0123456789abcdef01234567"}), None),
        lambda c, k: (_forge({**c, "sid": "unknown-session"}), None),
        lambda c, k: (_forge({**c, "iss": "someone-else"}), None),
        lambda c, k: (jwt.encode(c, None, algorithm="none"), None),
    ],
    ids=[
        "bad-signature",
        "refresh-type",
        "bad-sub",
        "unknown-user",
        "unknown-session",
        "wrong-issuer",
        "alg-none",
    ],
)
def test_tampered_or_foreign_tokens_are_401(api, mentee, mutate):
    token, _ = mutate(_claims(mentee), None)

    response = api().get(ME, **_bearer(token))

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["code"] == "invalid_token"


def test_a_valid_forged_shape_is_accepted(api, mentee):
    """Guards the tampering tests above: the unmodified claims do authenticate."""
    response = api().get(ME, **_bearer(_forge(_claims(mentee))))

    assert response.status_code == HTTPStatus.OK
    assert response.json()["user"]["id"] == str(mentee.pk)


def test_expired_refresh_session_is_rejected(api, mentee):
    pair = tokens.issue_tokens(mentee)
    past = timezone.now() - timedelta(seconds=1)
    RefreshToken.objects.update(expires_at=past)
    _users().update_one({"_id": mentee.pk}, {"$set": {"sessions.$[].expires_at": past}})

    response = api().post("/auth/refresh/", {"refresh": pair["refresh"]})

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["code"] == "invalid_token"
    assert "access" not in response.json()
    # The access token of that session is refused as well: the session is over.
    assert api().get(ME, **_bearer(pair["access"])).json()["code"] == "invalid_token"


def test_deactivated_user_cannot_use_tokens(api, mentee):
    pair = tokens.issue_tokens(mentee)
    mentee.is_active = False
    mentee.save(update_fields=["is_active"])

    response = api().get(ME, **_bearer(pair["access"]))

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["code"] == "invalid_token"
    refreshed = api().post("/auth/refresh/", {"refresh": pair["refresh"]})
    assert refreshed.status_code == HTTPStatus.UNAUTHORIZED
    assert refreshed.json()["code"] == "invalid_token"
