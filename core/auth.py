"""Bearer-token authentication of the API's operations, with roles and the pending-deletion
rule. core sits below the apps, so it does not know how a token is checked: the users app
registers its authenticate function (users/apps.py), and the arrow points one way."""

from collections.abc import Callable, Iterable
from typing import Any

from django.http import HttpRequest
from ninja.security.base import AuthBase

from core.errors import AccountPendingDeletionError, UnauthorizedError, WrongRoleError

_authenticate: Callable[[HttpRequest], Any] | None = None
# The 401 errors the registered authenticator raises, for the spec (core/api.py).
_authentication_errors: tuple[type, ...] = ()


def register_authenticator(
    authenticate: Callable[[HttpRequest], Any], *, errors: Iterable[type] = ()
) -> None:
    """Set the function that turns a request into its user or raises one of `errors`
    (UnauthorizedError and its subclasses, 401): one call at start-up, from the
    AppConfig.ready() of the app that owns the accounts."""
    global _authenticate, _authentication_errors
    _authenticate = authenticate
    _authentication_errors = (UnauthorizedError, *errors)


class BearerAuth(AuthBase):
    """`Authorization: Bearer <access token>`: 401 without a valid one (the registered
    authenticator's errors), 403 wrong_role outside `roles`, 403 account_pending_deletion
    for an account pending deletion unless `allow_pending_deletion`. The user becomes
    request.auth and request.user (the request log reads the latter)."""

    openapi_type = "http"
    openapi_scheme = "bearer"
    openapi_bearerFormat = "JWT"

    def __init__(self, *, roles: Iterable[str] | None = None, allow_pending_deletion: bool = False):
        super().__init__()
        self.roles = frozenset(roles) if roles is not None else None
        self.allow_pending_deletion = allow_pending_deletion

    def __call__(self, request: HttpRequest) -> Any:
        if _authenticate is None:
            raise RuntimeError("No authenticator registered (core.auth.register_authenticator).")
        user = _authenticate(request)
        request.user = user
        if self.roles is not None and user.role not in self.roles:
            raise WrongRoleError(
                f"This endpoint is for {' or '.join(sorted(self.roles))} accounts."
            )
        if not self.allow_pending_deletion and user.deletion_requested_at:
            raise AccountPendingDeletionError()
        return user

    def error_classes(self) -> tuple[type, ...]:
        """The AppErrors this check can raise (for the spec's responses)."""
        classes: tuple[type, ...] = _authentication_errors or (UnauthorizedError,)
        if self.roles is not None:
            classes += (WrongRoleError,)
        if not self.allow_pending_deletion:
            classes += (AccountPendingDeletionError,)
        return classes
