"""Password reset and set-password mails (API.md "Password reset").

Tokens are Django's PasswordResetTokenGenerator's: an HMAC of the account's pk, password
hash, last login and email with a timestamp, so a token stops working once the password
changes (single use) or PASSWORD_RESET_TIMEOUT passes; nothing is stored. The token a mail
carries is "<user pk>-<generator token>".

A request never reveals whether the address has an account: both paths do the same work
(one lookup, one token, one mail rendered and written to the outbox); an unknown address
gets a mail saying no account uses it.
"""

from bson import ObjectId
from bson.errors import InvalidId
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from core.errors import InvalidFieldError
from notifications import outbox
from users import password_gate
from users.errors import InvalidLinkTokenError, InvalidPasswordError
from users.models import EmailRuleError, RefreshToken, User, clean_email
from users.tokens import SESSIONS

token_generator = PasswordResetTokenGenerator()


def make_token(user: User, generator: PasswordResetTokenGenerator = token_generator) -> str:
    return f"{user.pk}-{generator.make_token(user)}"


def user_for_token(token: str, generator: PasswordResetTokenGenerator = token_generator) -> User:
    """The active account a valid token names; raises InvalidLinkTokenError."""
    pk, _, rest = token.strip().partition("-")
    try:
        user = User.objects.filter(pk=ObjectId(pk), is_active=True).first()
    except (InvalidId, TypeError):
        raise InvalidLinkTokenError() from None
    if user is None or not generator.check_token(user, rest):
        raise InvalidLinkTokenError()
    return user


def link(path: str, token: str) -> str:
    return f"{settings.FRONTEND_BASE_URL}/{path}/{token}"


def valid_hours() -> int:
    return max(1, settings.PASSWORD_RESET_TIMEOUT // 3600)


def request_password_reset(*, email: str) -> None:
    """Mail a reset link to the account of this address, or a "no account" mail to an
    unknown address; the caller answers the same either way. Raises InvalidFieldError for
    an address that breaks the email rules (that says nothing about accounts)."""
    try:
        address = clean_email(email)
    except EmailRuleError as exc:
        raise InvalidFieldError(f"email: {exc}") from None
    user = User.objects.filter(email=address, is_active=True).first()
    # The unknown side computes a token too (for a throw-away user): same work both ways.
    token = make_token(user or User(pk=ObjectId(), email=address, password=""))
    if user is None:
        outbox.enqueue(kind="no_account", to=address, context={"action": "reset the password"})
        return
    outbox.enqueue(
        kind="password_reset",
        to=user.email,
        context={
            "name": user.firstName,
            "link": link("reset-password", token),
            "valid_hours": valid_hours(),
        },
    )


def send_set_password_mail(*, user: User) -> None:
    """Mail a new account (roster import) a link to choose its password: the reset flow's
    token and confirm endpoint, with a welcome text."""
    outbox.enqueue(
        kind="set_password",
        to=user.email,
        context={
            "name": user.firstName,
            "link": link("reset-password", make_token(user)),
            "valid_hours": valid_hours(),
        },
    )


def confirm_password_reset(*, token: str, password: str) -> User:
    """Set a new password with a reset token and end every session of the account.

    Raises InvalidLinkTokenError (malformed, used or expired), InvalidPasswordError (the
    registration rules), ServerBusyError (no password-hashing slot, users/password_gate.py).
    """
    user = user_for_token(token)
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise InvalidPasswordError(" ".join(exc.messages)) from None
    with password_gate.slot():
        new_hash = make_password(password)
    now = timezone.now()
    # One conditional update of the user's document: the password (only if still the one
    # the token was made from, so two concurrent uses of a token cannot both win), every
    # live session (authentication reads them there: they end at once), and the address
    # counts as confirmed (the link came through it).
    changed = connection.get_collection(User._meta.db_table).update_one(
        {"_id": user.pk, "password": user.password},
        {
            "$set": {
                "password": new_hash,
                SESSIONS: [],
                "email_verified_at": user.email_verified_at or now,
            }
        },
    )
    if changed.modified_count != 1:
        raise InvalidLinkTokenError()
    # The admin's record of the sessions (the user's document above is what counts).
    RefreshToken.objects.filter(user=user, revoked_at=None).update(revoked_at=now)
    user.refresh_from_db()
    return user
