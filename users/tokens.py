"""JWT access and refresh tokens (PyJWT, HS256 with the project's secret)."""

import uuid
from datetime import timedelta

import jwt
from bson import ObjectId
from bson.errors import InvalidId
from django.conf import settings
from django.db import connection
from django.utils import timezone

from core.documents import from_document
from core.errors import UnauthorizedError
from users.errors import InvalidTokenError, TokenExpiredError
from users.models import RefreshToken, User

ALGORITHM = "HS256"
ISSUER = "mentor-match"
# The live sessions, [{jti, expires_at}], in the user's own document, so that one read
# authenticates a request. Not a model field: the ORM never loads it, and a save() of a
# User read earlier cannot write back a session revoked since.
SESSIONS = "sessions"


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
    start_session(user.pk, session.jti, session.expires_at, now=now)
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


def _users():
    return connection.get_collection(User._meta.db_table)


def start_session(user_id, jti: str, expires_at, *, now=None) -> None:
    """Add a live session to the user's document, dropping the ones that have expired.

    One update, as an aggregation pipeline: a $pull of the expired entries and a $push of
    the new one cannot share an update document (they touch the same field)."""
    now = now or timezone.now()
    entry = {"jti": jti, "expires_at": expires_at}
    _users().update_one(
        {"_id": user_id},
        [
            {
                "$set": {
                    SESSIONS: {
                        "$concatArrays": [
                            {
                                "$filter": {
                                    "input": {"$ifNull": [f"${SESSIONS}", []]},
                                    "cond": {"$gt": ["$$this.expires_at", now]},
                                }
                            },
                            [{"$literal": entry}],
                        ]
                    }
                }
            }
        ],
    )


def end_session(user_id, jti: str) -> bool:
    """Take a session out of the user's document: from that moment no request authenticates
    with it and its refresh token gets no new access token. False if it was not live."""
    return (
        _users().update_one({"_id": user_id}, {"$pull": {SESSIONS: {"jti": jti}}}).modified_count
        == 1
    )


def _object_id(value: object) -> ObjectId:
    try:
        return ObjectId(value)
    except (InvalidId, TypeError):
        raise InvalidTokenError() from None


def _user_with_session(user_id: object, jti: object) -> User:
    """The active user whose document holds this live session, in one round trip: a
    find_one (the cheapest read; an aggregation costs the embedded server twice as much).
    The session list itself stays out of the model."""
    pk = _object_id(user_id)
    if not isinstance(jti, str):
        raise InvalidTokenError()
    live = {"jti": jti, "expires_at": {"$gt": timezone.now()}}
    document = _users().find_one(
        {"_id": pk, "is_active": True, SESSIONS: {"$elemMatch": live}}, {SESSIONS: 0}
    )
    if document is None:
        raise InvalidTokenError("The session has ended; sign in again.")
    return from_document(User, document)


def refresh_access(refresh_token: str) -> str:
    """A new access token for a live refresh token; raises InvalidTokenError/TokenExpiredError."""
    claims = _decode(refresh_token, "refresh")
    user = _user_with_session(claims["sub"], claims["jti"])
    return issue_access(user_id=str(user.pk), session_id=claims["jti"])


def revoke_refresh(refresh_token: str, *, user: User) -> None:
    """End the session of this refresh token, which must belong to user.

    The user's document is what authentication reads, so the session ends with that one
    update; the RefreshToken row only records when (for the admin)."""
    claims = _decode(refresh_token, "refresh")
    jti = claims["jti"]
    if str(claims["sub"]) != str(user.pk) or not isinstance(jti, str):
        raise InvalidTokenError("The session has ended; sign in again.")
    if not end_session(user.pk, jti):
        raise InvalidTokenError("The session has ended; sign in again.")
    RefreshToken.objects.filter(jti=jti, user=user, revoked_at=None).update(
        revoked_at=timezone.now()
    )


def authenticate_request(request) -> User:
    """The user of a request's `Authorization: Bearer <access token>`; 401 otherwise.

    One database round trip: the user's document carries its live sessions, so one read
    checks the account and the session together (docs/architecture.md "Authentication")."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header:
        raise UnauthorizedError()
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidTokenError("Use the header 'Authorization: Bearer <access token>'.")
    claims = _decode(token.strip(), "access")
    return _user_with_session(claims["sub"], claims.get("sid"))
