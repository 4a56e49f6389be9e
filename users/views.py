"""Auth and account endpoints (API.md "Users and auth")."""

from http import HTTPStatus

from django.conf import settings
from django.http import HttpResponse, JsonResponse

from config import ratelimit
from config.http import json_endpoint, read_json
from users import services, tokens
from users.errors import InvalidCredentialsError
from users.models import normalize_email
from users.serializers import deletion_scheduled_for, iso, user_to_json


def _session_payload(user, pair: dict[str, str] | None) -> dict:
    if pair is None:  # EMAIL_VERIFICATION_REQUIRED: no session until the address is confirmed
        return {"user": user_to_json(user)}
    return {"user": user_to_json(user), "access": pair["access"], "refresh": pair["refresh"]}


@json_endpoint("POST", auth=False)
def register(request):
    body = read_json(
        request,
        required={"email": str, "password": str, "role": str},
        optional={"firstName": str, "lastName": str},
    )
    address = ratelimit.client_address(request)
    ratelimit.limit("register", address, settings.REGISTRATIONS_PER_ADDRESS)
    user, pair = services.register_user(
        email=body["email"],
        password=body["password"],
        role=body["role"],
        first_name=body.get("firstName", ""),
        last_name=body.get("lastName", ""),
    )
    return JsonResponse(_session_payload(user, pair), status=HTTPStatus.CREATED)


@json_endpoint("POST", auth=False)
def login(request):
    body = read_json(request, required={"email": str, "password": str})
    # Keyed by the normalised address whether or not it has an account: the lockout
    # answers the same for both, so it reveals nothing about which emails exist.
    account = normalize_email(body["email"])
    address = ratelimit.client_address(request)
    with ratelimit.lockouts(
        ratelimit.Lockout("login-account", account, settings.LOGIN_FAILURES_PER_ACCOUNT),
        ratelimit.Lockout("login-address", address, settings.LOGIN_FAILURES_PER_ADDRESS),
        failure=InvalidCredentialsError,
    ):
        user, pair = services.login_user(email=body["email"], password=body["password"])
    return JsonResponse(_session_payload(user, pair))


@json_endpoint("POST", auth=False)
def refresh(request):
    body = read_json(request, required={"refresh": str})
    return JsonResponse({"access": tokens.refresh_access(body["refresh"])})


@json_endpoint("POST", allow_pending_deletion=True)
def logout(request):
    body = read_json(request, required={"refresh": str})
    tokens.revoke_refresh(body["refresh"], user=request.user)
    return HttpResponse(status=HTTPStatus.NO_CONTENT)


@json_endpoint("GET", "DELETE", allow_pending_deletion=True)
def me(request):
    if request.method == "DELETE":
        user = services.request_account_deletion(user=request.user)
        return JsonResponse(
            {"deletion_scheduled_for": iso(deletion_scheduled_for(user))},
            status=HTTPStatus.ACCEPTED,
        )
    return JsonResponse({"user": user_to_json(request.user)})


@json_endpoint("POST", allow_pending_deletion=True)
def restore(request):
    read_json(request)
    user = services.restore_account(user=request.user)
    return JsonResponse({"user": user_to_json(user)})
