"""Email verification (docs/api.md "Email verification").

Every registration mails a confirmation link; with EMAIL_VERIFICATION_REQUIRED an account
cannot sign in until it is confirmed (403 email_not_verified), and registration starts no
session. The token is a PasswordResetTokenGenerator's with its own salt and a hash value
that includes email_verified_at, so it works once and expires after PASSWORD_RESET_TIMEOUT.
"""

from bson import ObjectId
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils import timezone

from core.errors import InvalidFieldError
from notifications import outbox
from users.models import EmailRuleError, User, clean_email
from users.password_reset import link, make_token, user_for_token, valid_hours


class EmailVerificationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "users.verification.EmailVerificationTokenGenerator"

    def _make_hash_value(self, user, timestamp):
        return f"{user.pk}{user.email}{user.email_verified_at}{timestamp}"


token_generator = EmailVerificationTokenGenerator()


def send_verification_mail(*, user: User) -> None:
    outbox.enqueue(
        kind="verify_email",
        to=user.email,
        context={
            "name": user.firstName,
            "link": link("verify-email", make_token(user, token_generator)),
            "valid_hours": valid_hours(),
        },
    )


def resend_verification_mail(*, email: str) -> None:
    """A new link for an unconfirmed account; an unknown or already confirmed address gets
    a mail saying so. The caller answers the same either way. Raises InvalidFieldError for
    an address that breaks the email rules."""
    try:
        address = clean_email(email)
    except EmailRuleError as exc:
        raise InvalidFieldError(f"email: {exc}") from None
    user = User.objects.filter(email=address, is_active=True).first()
    if user is None:
        make_token(User(pk=ObjectId(), email=address), token_generator)  # same work
        outbox.enqueue(kind="no_account", to=address, context={"action": "confirm an address"})
    elif user.email_verified_at is not None:
        make_token(user, token_generator)
        outbox.enqueue(kind="email_already_verified", to=address, context={"name": user.firstName})
    else:
        send_verification_mail(user=user)


def confirm_email(*, token: str) -> User:
    """Mark the token's account confirmed; raises InvalidLinkTokenError."""
    user = user_for_token(token, token_generator)
    now = timezone.now()
    # Conditional: a token is made from email_verified_at=None, so it works once.
    User.objects.filter(pk=user.pk, email_verified_at=None).update(email_verified_at=now)
    user.refresh_from_db(fields=["email_verified_at"])
    return user
