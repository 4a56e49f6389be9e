"""JWT access and refresh tokens (PyJWT, HS256 with the project's secret)."""

import uuid
from datetime import timedelta

import jwt
from bson import ObjectId
from bson.errors import InvalidId
from django.conf import settings
from django.utils import timezone

from config.errors import UnauthorizedError
from users.errors import InvalidTokenError, TokenExpiredError
from users.models import RefreshToken, User

ALGORITHM = "HS256"
ISSUER = "mentor-match"


def _encode(claims: dict) -> str:
    return jwt.encode(claims, settings.SECRET_KEY, algorithm=ALGORITHM)


def _decode(token: str, expected_type: str) -> dict:
    try:
        claims = jwt.decode(
            token,
            settings.SECRET_KEY,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "typ", "jti", "iss"]},
        )
    except jwt.ExpiredSignatureError:
        raise TokenExpiredError() from None
    except jwt.InvalidTokenError:
        raise InvalidTokenError() from None
    if claims.get("typ") != expected_type:
        raise InvalidTokenError(f"This is not an {expected_type} token.")
    return claims


def issue_tokens(user: User) -> dict[str, str]:
    """Start a session for user: a stored refresh token and an access token tied to it."""
    now = timezone.now()
    session = RefreshToken.objects.create(
        jti=uuid.uuid4().hex,
        user=user,
        created_at=now,
        expires_at=now + timedelta(days=settings.REFRESH_TOKEN_LIFETIME_DAYS),
    )
    refresh = _encode(
        {
            "iss": ISSUER,
            "typ": "refresh",
            "sub": str(user.pk),
            "jti": session.jti,
            "iat": now,
            "exp": session.expires_at,
        }
    )
    return {
        "access": issue_access(user_id=str(user.pk), session_id=session.jti),
        "refresh": refresh,
    }


def issue_access(*, user_id: str, session_id: str) -> str:
    now = timezone.now()
    return _encode(
        {
            "iss": ISSUER,
            "typ": "access",
            "sub": user_id,
            "sid": session_id,
            "jti": uuid.uuid4().hex,
            "iat": now,
            "exp": now + timedelta(minutes=settings.ACCESS_TOKEN_LIFETIME_MINUTES),
        }
    )


def _live_session(jti: object, user_id: str) -> RefreshToken:
    if not isinstance(jti, str):
        raise InvalidTokenError()
    session = RefreshToken.objects.filter(
        jti=jti, revoked_at=None, expires_at__gt=timezone.now()
    ).first()
    if session is None or str(session.user_id) != user_id:
        raise InvalidTokenError("The session has ended; sign in again.")
    return session


def _user(user_id: object) -> User:
    try:
        pk = ObjectId(user_id)
    except (InvalidId, TypeError):
        raise InvalidTokenError() from None
    user = User.objects.filter(pk=pk, is_active=True).first()
    if user is None:
        raise InvalidTokenError("The account no longer exists.")
    return user


def refresh_access(refresh_token: str) -> str:
    """A new access token for a live refresh token; raises InvalidTokenError/TokenExpiredError."""
    claims = _decode(refresh_token, "refresh")
    session = _live_session(claims["jti"], str(claims["sub"]))
    _user(claims["sub"])
    return issue_access(user_id=str(session.user_id), session_id=session.jti)


def revoke_refresh(refresh_token: str, *, user: User) -> None:
    """End the session of this refresh token, which must belong to user."""
    claims = _decode(refresh_token, "refresh")
    session = _live_session(claims["jti"], str(user.pk))
    RefreshToken.objects.filter(pk=session.pk).update(revoked_at=timezone.now())


def authenticate_request(request) -> User:
    """The user of a request's `Authorization: Bearer <access token>`; 401 otherwise."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header:
        raise UnauthorizedError()
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidTokenError("Use the header 'Authorization: Bearer <access token>'.")
    claims = _decode(token.strip(), "access")
    user = _user(claims["sub"])
    _live_session(claims.get("sid"), str(user.pk))
    return user
