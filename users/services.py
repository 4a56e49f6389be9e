"""Account rules: registration, sign-in, deletion with a grace period, purge."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import timezone

from core.errors import InvalidFieldError, ValidationFailedError
from users import password_gate, tokens, verification
from users.errors import (
    EmailNotVerifiedError,
    EmailTakenError,
    InvalidCredentialsError,
    InvalidPasswordError,
    NotPendingDeletionError,
)
from users.models import (
    NOTIFICATION_KINDS,
    EmailRuleError,
    Role,
    User,
    clean_email,
    max_length,
)
from users.selectors import get_user_by_email
from users.signals import user_purged

SELF_SERVICE_ROLES = (Role.MENTEE, Role.MENTOR)


def _clean_email(email: str) -> str:
    try:
        return clean_email(email)
    except EmailRuleError as exc:
        raise InvalidFieldError(f"email: {exc}") from None


def register_user(
    *, email: str, password: str, role: str, first_name: str = "", last_name: str = ""
) -> tuple[User, dict[str, str] | None]:
    """Create a MENTEE or MENTOR account, mail it a confirmation link and sign it in; with
    EMAIL_VERIFICATION_REQUIRED no session starts (None) until the address is confirmed.

    Raises ValidationFailedError, InvalidPasswordError, EmailTakenError (also when a
    concurrent registration of the same email wins the unique index), ServerBusyError
    when no password-hashing slot frees up (users/password_gate.py).
    """
    email = _clean_email(email)
    if role not in SELF_SERVICE_ROLES:
        raise ValidationFailedError("role must be MENTEE or MENTOR.")
    for label, value in (("firstName", first_name), ("lastName", last_name)):
        if len(value.strip()) > max_length(label):
            raise ValidationFailedError(f"{label} must be at most {max_length(label)} characters.")
    user = User(email=email, role=role, firstName=first_name.strip(), lastName=last_name.strip())
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise InvalidPasswordError(" ".join(exc.messages)) from None
    if User.objects.filter(email=email).exists():
        raise EmailTakenError()
    with password_gate.slot():
        user.set_password(password)
    try:
        user.save(force_insert=True)
    except IntegrityError:
        raise EmailTakenError() from None
    verification.send_verification_mail(user=user)
    if settings.EMAIL_VERIFICATION_REQUIRED:
        return user, None
    return user, tokens.issue_tokens(user)


def login_user(*, email: str, password: str) -> tuple[User, dict[str, str]]:
    """Check credentials and start a session; raises InvalidCredentialsError, or
    ServerBusyError when no password-check slot frees up (users/password_gate.py), or
    EmailNotVerifiedError (after the password check, so it tells only the account's owner)
    for an unconfirmed account when EMAIL_VERIFICATION_REQUIRED is on.

    A correct password whose hash is not the first hasher's (PBKDF2 from before Argon2id,
    or other Argon2 parameters) is rehashed and saved by check_password, in the slot.
    """
    user = get_user_by_email(email, active_only=True)
    with password_gate.slot():
        if user is None:
            # Hashing with the first hasher (Argon2id) costs what checking one of its hashes
            # does, and takes a slot alike: no account-existence oracle, busy or not.
            make_password(password)
            raise InvalidCredentialsError()
        if not user.check_password(password):
            raise InvalidCredentialsError()
    if settings.EMAIL_VERIFICATION_REQUIRED and user.email_verified_at is None:
        raise EmailNotVerifiedError()
    return user, tokens.issue_tokens(user)


def emails_to_review() -> list[tuple[str, str]]:
    """Stored addresses that break today's email rules or are not in their one stored
    form (accounts made before the rules), as (email, problem); changes nothing.

    Such an account may be a second spelling of another's mailbox ("idn@exämple.edu"
    beside "idn@xn--exmple-cua.edu") or a look-alike ("admın@…"): an administrator
    decides, since an email is referenced by rosters, invitations and messages.
    """
    stored = list(User.objects.order_by("pk").values_list("email", flat=True))
    taken = set(stored)
    found = []
    for email in stored:
        try:
            clean = clean_email(email)
        except EmailRuleError as exc:
            found.append((email, f"breaks the email rules: {exc}"))
            continue
        if clean in taken and clean != email:
            found.append((email, f"another spelling of the account {clean}"))
        elif clean != email:
            found.append((email, f"not in its stored form {clean}"))
    return found


def request_account_deletion(*, user: User) -> User:
    """Mark the account pending deletion (idempotent: the first request's date stands)."""
    User.objects.filter(pk=user.pk, deletion_requested_at=None).update(
        deletion_requested_at=timezone.now()
    )
    user.refresh_from_db(fields=["deletion_requested_at"])
    return user


def restore_account(*, user: User) -> User:
    """Cancel a pending deletion; raises NotPendingDeletionError."""
    restored = User.objects.filter(pk=user.pk, deletion_requested_at__isnull=False).update(
        deletion_requested_at=None
    )
    if not restored:
        raise NotPendingDeletionError()
    user.refresh_from_db(fields=["deletion_requested_at"])
    return user


def accounts_due_for_purge(*, now=None):
    """Accounts whose deletion grace period (ACCOUNT_DELETION_GRACE_DAYS) has passed."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.ACCOUNT_DELETION_GRACE_DAYS)
    return User.objects.filter(deletion_requested_at__lte=cutoff).order_by("pk")


def purge_deleted_users(*, now=None) -> list[str]:
    """Delete every account past its grace period; returns their emails.

    Other apps remove their data for each purged email through the user_purged signal
    (scores and embedding, match and roster seat, blacklist entries, invitations, messages)
    before the account itself goes, so a purge interrupted half-way is finished by the next
    run.
    """
    purged = []
    for user in accounts_due_for_purge(now=now):
        user_purged.send(sender=User, user=user)
        user.delete()
        purged.append(user.email)
    return purged


LIST_MAX_ITEMS = 10
YEAR_VALUES = {"1", "2", "3", "4", "5", "5+"}


def _clean_list(name: str, value: list) -> list[str]:
    if len(value) > LIST_MAX_ITEMS:
        raise ValidationFailedError(f"{name} takes at most {LIST_MAX_ITEMS} entries.")
    cleaned = []
    for item in value:
        if not isinstance(item, str):
            raise InvalidFieldError(f"Every entry of '{name}' must be a string.")
        item = item.strip()
        if len(item) > max_length(name):
            raise ValidationFailedError(
                f"Entries of {name} are at most {max_length(name)} characters."
            )
        if item and item not in cleaned:
            cleaned.append(item)
    return cleaned


def _clean_year(value: int | str) -> str:
    text = str(value).strip()
    if text not in YEAR_VALUES:
        raise ValidationFailedError('year must be 1–5 or "5+".')
    return text


def clean_profile_changes(changes: dict) -> dict:
    """The stored form of profile fields (types already checked by users.schemas.ProfileIn):
    lists de-duplicated and stripped, year checked, texts stripped and length-checked.
    Shared by the profile endpoint and the roster import. Raises ValidationFailedError /
    InvalidFieldError."""
    cleaned: dict = {}
    for name, value in changes.items():
        if name in ("major", "minor"):
            cleaned[name] = _clean_list(name, value)
        elif name == "year":
            cleaned[name] = _clean_year(value)
        elif name in ("firstName", "lastName", "hobbies", "clubs", "goals", "requirements"):
            if len(value.strip()) > max_length(name):
                raise ValidationFailedError(
                    f"{name} must be at most {max_length(name)} characters."
                )
            cleaned[name] = value.strip()
        else:
            cleaned[name] = value
    return cleaned


def _notifications_off(user: User, value: dict) -> list[str]:
    """The opted-out kinds after applying {kind: on} (kinds and booleans already checked by
    users.schemas.EmailNotificationsIn; checked again here for callers without it)."""
    off = set(user.notifications_off)
    for kind, on in value.items():
        if kind not in NOTIFICATION_KINDS or not isinstance(on, bool):
            raise InvalidFieldError(
                f"email_notifications: {kind!r} is not a kind set to a boolean."
            )
        (off.discard if on else off.add)(kind)
    return [kind for kind in NOTIFICATION_KINDS if kind in off]


def update_profile(*, user: User, changes: dict) -> User:
    """Validate and save profile fields (types already checked by users.schemas.ProfileIn).

    Saving sends post_save with the changed fields, which refreshes the user's scores
    before this returns. Raises ValidationFailedError / InvalidFieldError.
    """
    changes = dict(changes)
    notifications = changes.pop("email_notifications", None)
    cleaned = clean_profile_changes(changes)
    if notifications is not None:
        cleaned["notifications_off"] = _notifications_off(user, notifications)
    for name, value in cleaned.items():
        setattr(user, name, value)
    if cleaned:
        user.save(update_fields=sorted(cleaned))
    return user
