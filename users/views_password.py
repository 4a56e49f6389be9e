"""Password reset and email verification endpoints (docs/api.md "Password reset", "Email
verification"). The answers to a request never depend on whether the address has an account.
"""

from http import HTTPStatus

from django.conf import settings
from django.http import JsonResponse

from config import ratelimit
from config.http import json_endpoint, read_json
from users import password_reset, verification
from users.errors import InvalidLinkTokenError
from users.models import normalize_email

RESET_REQUESTED = "If an account uses this address, a link to reset its password is on its way."
RESEND_REQUESTED = "If this address has an unconfirmed account, a new link is on its way."


def _limit_mail_requests(request, group: str, email: str) -> None:
    # Keyed by the normalised address whether or not it has an account (as login's lockout).
    ratelimit.limit(
        f"{group}-account", normalize_email(email), settings.PASSWORD_RESETS_PER_ACCOUNT
    )
    address = ratelimit.client_address(request)
    ratelimit.limit(f"{group}-address", address, settings.PASSWORD_RESETS_PER_ADDRESS)


def _token_failures(request, group: str):
    """Bad tokens lock a client address out as failed sign-ins do."""
    address = ratelimit.client_address(request)
    return ratelimit.lockouts(
        ratelimit.Lockout(group, address, settings.LOGIN_FAILURES_PER_ADDRESS),
        failure=InvalidLinkTokenError,
    )


def _accepted(message: str) -> JsonResponse:
    return JsonResponse({"success": True, "message": message}, status=HTTPStatus.ACCEPTED)


@json_endpoint("POST", auth=False)
def password_reset_request(request):
    body = read_json(request, required={"email": str})
    _limit_mail_requests(request, "password-reset", body["email"])
    password_reset.request_password_reset(email=body["email"])
    return _accepted(RESET_REQUESTED)


@json_endpoint("POST", auth=False)
def password_reset_confirm(request):
    body = read_json(request, required={"token": str, "password": str})
    with _token_failures(request, "password-reset-token"):
        password_reset.confirm_password_reset(token=body["token"], password=body["password"])
    return JsonResponse(
        {"success": True, "message": "Your password has been changed; sign in with it."}
    )


@json_endpoint("POST", auth=False)
def verify_email_confirm(request):
    body = read_json(request, required={"token": str})
    with _token_failures(request, "verify-email-token"):
        verification.confirm_email(token=body["token"])
    return JsonResponse({"success": True, "message": "Your email address is confirmed."})


@json_endpoint("POST", auth=False)
def verify_email_resend(request):
    body = read_json(request, required={"email": str})
    _limit_mail_requests(request, "verify-email", body["email"])
    verification.resend_verification_mail(email=body["email"])
    return _accepted(RESEND_REQUESTED)
