"""Password reset and email verification endpoints (docs/api.md "Password reset", "Email
verification"). The answers to a request never depend on whether the address has an account.
"""

from django.conf import settings
from ninja import Router
from pydantic import Field

from core import ratelimit
from core.api import JsonBody, raises
from core.errors import InvalidFieldError, RateLimitedError, ServerBusyError
from core.schemas import Out, Strict
from users import password_reset, verification
from users.errors import InvalidLinkTokenError, InvalidPasswordError
from users.models import normalize_email

router = Router(tags=["auth"])

RESET_REQUESTED = "If an account uses this address, a link to reset its password is on its way."
RESEND_REQUESTED = "If this address has an unconfirmed account, a new link is on its way."


class EmailIn(Strict):
    email: str = Field(description="Any case; an address that breaks the email rules is 400.")


class ResetConfirmIn(Strict):
    token: str = Field(description="The link's last path segment.")
    password: str = Field(description="The registration rules.")


class TokenIn(Strict):
    token: str = Field(description="The link's last path segment.")


class Done(Out):
    success: bool
    message: str


def _limit_mail_requests(request, group: str, email: str) -> None:
    # Keyed by the normalised address whether or not it has an account (as login's lockout).
    account = normalize_email(email)
    ratelimit.limit(f"{group}-account", account, settings.PASSWORD_RESETS_PER_ACCOUNT)
    address = ratelimit.client_address(request)
    ratelimit.limit(f"{group}-address", address, settings.PASSWORD_RESETS_PER_ADDRESS)


def _token_failures(request, group: str):
    """Bad tokens lock a client address out as failed sign-ins do."""
    address = ratelimit.client_address(request)
    return ratelimit.lockouts(
        ratelimit.Lockout(group, address, settings.LOGIN_FAILURES_PER_ADDRESS),
        failure=InvalidLinkTokenError,
    )


@router.post("/auth/password-reset/", auth=None, response={202: Done})
@raises(InvalidFieldError, RateLimitedError)
def password_reset_request(request, body: JsonBody[EmailIn]):
    _limit_mail_requests(request, "password-reset", body.email)
    password_reset.request_password_reset(email=body.email)
    return {"success": True, "message": RESET_REQUESTED}


@router.post("/auth/password-reset/confirm/", auth=None, response=Done)
@raises(InvalidLinkTokenError, InvalidPasswordError, RateLimitedError, ServerBusyError)
def password_reset_confirm(request, body: JsonBody[ResetConfirmIn]):
    with _token_failures(request, "password-reset-token"):
        password_reset.confirm_password_reset(token=body.token, password=body.password)
    return {"success": True, "message": "Your password has been changed; sign in with it."}


@router.post("/auth/verify-email/confirm/", auth=None, response=Done)
@raises(InvalidLinkTokenError, RateLimitedError)
def verify_email_confirm(request, body: JsonBody[TokenIn]):
    with _token_failures(request, "verify-email-token"):
        verification.confirm_email(token=body.token)
    return {"success": True, "message": "Your email address is confirmed."}


@router.post("/auth/verify-email/resend/", auth=None, response={202: Done})
@raises(InvalidFieldError, RateLimitedError)
def verify_email_resend(request, body: JsonBody[EmailIn]):
    _limit_mail_requests(request, "verify-email", body.email)
    verification.resend_verification_mail(email=body.email)
    return {"success": True, "message": RESEND_REQUESTED}
