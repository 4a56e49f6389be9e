"""Auth and account endpoints (API.md "Users and auth")."""

from http import HTTPStatus

from django.conf import settings
from django.http import HttpResponse
from ninja import Router

from core import ratelimit
from core.api import JsonBody, raises
from core.auth import BearerAuth
from core.errors import (
    InvalidFieldError,
    RateLimitedError,
    ServerBusyError,
    ValidationFailedError,
)
from users import services, tokens
from users.errors import (
    EmailTakenError,
    InvalidCredentialsError,
    InvalidPasswordError,
    InvalidTokenError,
    NotPendingDeletionError,
    TokenExpiredError,
)
from users.models import normalize_email
from users.schemas import (
    Access,
    DeletionScheduled,
    EmptyIn,
    LoginIn,
    RefreshIn,
    RegisterIn,
    Session,
    UserEnvelope,
)
from users.serializers import deletion_scheduled_for, iso, user_to_json

router = Router(tags=["users"])
# Signed in, pending deletion or not: these are how an account pending deletion is restored.
ANY_ACCOUNT = BearerAuth(allow_pending_deletion=True)


def _session(user, pair: dict[str, str]) -> dict:
    return {"user": user_to_json(user), "access": pair["access"], "refresh": pair["refresh"]}


@router.post("/auth/register/", auth=None, response={201: Session})
@raises(
    InvalidFieldError,
    ValidationFailedError,
    InvalidPasswordError,
    EmailTakenError,
    RateLimitedError,
    ServerBusyError,
)
def register(request, body: JsonBody[RegisterIn]):
    ratelimit.limit(
        "register", ratelimit.client_address(request), settings.REGISTRATIONS_PER_ADDRESS
    )
    user, pair = services.register_user(
        email=body.email,
        password=body.password,
        role=body.role,
        first_name=body.firstName,
        last_name=body.lastName,
    )
    return _session(user, pair)


@router.post("/auth/login/", auth=None, response=Session)
@raises(InvalidCredentialsError, RateLimitedError, ServerBusyError)
def login(request, body: JsonBody[LoginIn]):
    # Keyed by the normalised address whether or not it has an account: the lockout
    # answers the same for both, so it reveals nothing about which emails exist.
    account = normalize_email(body.email)
    address = ratelimit.client_address(request)
    with ratelimit.lockouts(
        ratelimit.Lockout("login-account", account, settings.LOGIN_FAILURES_PER_ACCOUNT),
        ratelimit.Lockout("login-address", address, settings.LOGIN_FAILURES_PER_ADDRESS),
        failure=InvalidCredentialsError,
    ):
        user, pair = services.login_user(email=body.email, password=body.password)
    return _session(user, pair)


@router.post("/auth/refresh/", auth=None, response=Access)
@raises(InvalidTokenError, TokenExpiredError)
def refresh(request, body: JsonBody[RefreshIn]):
    return {"access": tokens.refresh_access(body.refresh)}


@router.post("/auth/logout/", auth=ANY_ACCOUNT, response={204: None})
def logout(request, body: JsonBody[RefreshIn]):
    tokens.revoke_refresh(body.refresh, user=request.auth)
    return HttpResponse(status=HTTPStatus.NO_CONTENT)


@router.get("/users/me/", auth=ANY_ACCOUNT, response=UserEnvelope, url_name="me")
def me(request):
    return {"user": user_to_json(request.auth)}


@router.delete("/users/me/", auth=ANY_ACCOUNT, response={202: DeletionScheduled})
def delete_me(request):
    user = services.request_account_deletion(user=request.auth)
    return {"deletion_scheduled_for": iso(deletion_scheduled_for(user))}


@router.post("/users/me/restore/", auth=ANY_ACCOUNT, response=UserEnvelope)
@raises(NotPendingDeletionError)
def restore(request, body: JsonBody[EmptyIn]):
    return {"user": user_to_json(services.restore_account(user=request.auth))}
