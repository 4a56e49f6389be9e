"""The domain error hierarchy and the one place that turns exceptions into JSON."""

import logging
import sys
from http import HTTPStatus

from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.core.signals import got_request_exception
from django.http import Http404, JsonResponse
from pymongo.errors import ConnectionFailure, ExecutionTimeout, PyMongoError

logger = logging.getLogger(__name__)


class AppError(Exception):
    """Root of every domain error: carries its HTTP status, machine code and message."""

    status = 400
    code = "bad_request"
    message = "Bad request."
    # Seconds a client should wait before trying again; sent as Retry-After when set
    # (429 and 503 always carry it).
    retry_after: int | None = None

    def __init__(self, message: str | None = None, *, retry_after: int | None = None):
        super().__init__(message or self.message)
        if retry_after is not None:
            self.retry_after = max(1, int(retry_after))


class ValidationFailedError(AppError):
    status, code, message = 400, "validation_failed", "The request failed validation."


class InvalidJsonError(AppError):
    status, code, message = 400, "invalid_json", "The request body is not valid JSON."


class UnauthorizedError(AppError):
    status, code, message = 401, "unauthorized", "Authentication credentials were not provided."


class ForbiddenError(AppError):
    status, code, message = 403, "forbidden", "You are not allowed to do this."


class NotFoundError(AppError):
    status, code, message = 404, "not_found", "Not found."


class MethodNotAllowedError(AppError):
    status, code, message = 405, "method_not_allowed", "Method not allowed."

    def __init__(self, message: str | None = None, *, allowed: tuple[str, ...] = ()):
        super().__init__(message)
        self.allowed = allowed


class ConflictError(AppError):
    status, code, message = 409, "conflict", "The request conflicts with the current state."


class PayloadTooLargeError(AppError):
    status, code, message = 413, "payload_too_large", "The request body is larger than 1 MiB."


class RateLimitedError(AppError):
    """Too many attempts or requests (core/ratelimit.py); always carries Retry-After."""

    status, code, message = 429, "rate_limited", "Too many attempts; try again later."
    retry_after = 60  # a fallback: the limits raise it with the seconds their window has left


class DatabaseUnavailableError(AppError):
    status, code = 503, "database_unavailable"
    message = "The database is unavailable; try again shortly."
    # About one operation timeout (MONGODB_TIMEOUT_MS, 5 s): long enough that clients do not
    # hammer a dead database, short enough that they notice the recovery.
    retry_after = 5


class ServerBusyError(AppError):
    """Every password-check slot of the process stayed taken for PASSWORD_CHECK_WAIT_MS
    (users/password_gate.py); nothing was checked or changed."""

    status, code = 503, "server_busy"
    message = "The server is busy checking other passwords; try again shortly."
    # A burst of checks clears in well under a second at ~20 ms each.
    retry_after = 1


class AccountPendingDeletionError(ForbiddenError):
    code = "account_pending_deletion"
    message = "This account is pending deletion. Restore it with POST /users/me/restore/."


class WrongRoleError(ForbiddenError):
    code = "wrong_role"
    message = "Your role is not allowed to use this endpoint."


class MissingFieldError(ValidationFailedError):
    code = "missing_field"


class UnknownFieldError(ValidationFailedError):
    code = "unknown_field"


class InvalidFieldError(ValidationFailedError):
    code = "invalid_field"


def error_response(error: AppError) -> JsonResponse:
    response = JsonResponse({"error": str(error), "code": error.code}, status=error.status)
    if isinstance(error, MethodNotAllowedError) and error.allowed:
        response["Allow"] = ", ".join(error.allowed)
    if error.retry_after is not None:
        response["Retry-After"] = str(error.retry_after)
    return response


def internal_error_response() -> JsonResponse:
    """The answer to a bug: JSON, DEBUG on or off (Django's technical 500 page is HTML and
    shows the settings, the database URI among them). Not a AppError: nothing raises it."""
    return JsonResponse({"error": "Internal server error.", "code": "internal_error"}, status=500)


# pymongo errors that mean "the database is unreachable or did not answer in time", not
# "this request is wrong": no server to select (ServerSelectionTimeoutError), a refused,
# reset or timed-out connection (AutoReconnect, NetworkTimeout), a pool that stayed full
# (WaitQueueTimeoutError) -- all ConnectionFailure -- and an operation over its time limit
# (ExecutionTimeout; with timeoutMS/pymongo.timeout() any error whose .timeout is true).
# django-mongodb-backend 5.2.4 wraps the errors of ORM queries and inserts in
# django.db.DatabaseError (the pymongo error is its __cause__; query.wrap_database_errors),
# while connecting (server_info() on the first connection) and direct collection calls
# (bulk_write, find_one_and_update in the services) raise them bare: so the whole chain
# is searched.
_UNAVAILABLE = (ConnectionFailure, ExecutionTimeout)


def database_error(exc: BaseException | None) -> DatabaseUnavailableError | None:
    """A DatabaseUnavailableError when exc is, wraps or was raised while handling a
    connection-level database failure; None otherwise."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, _UNAVAILABLE) or (isinstance(exc, PyMongoError) and exc.timeout):
            return DatabaseUnavailableError()
        exc = exc.__cause__ or exc.__context__
    return None


def as_app_error(exc: BaseException) -> AppError | None:
    """exc as the AppError to render: itself, or the translation of Django's Http404,
    PermissionDenied, RequestDataTooBig, ValidationError and of a database failure; None for
    anything else (a bug: Django logs it and the answer is a JSON 500). Used by the API's
    exception handler (core/api.py) and by ErrorMiddleware, for what happens outside the API."""
    error = exc if isinstance(exc, AppError) else _from_django(exc)
    if isinstance(error, DatabaseUnavailableError):
        cause = exc.__cause__ or exc  # the pymongo error, not the backend's wrapper
        logger.warning("Database unavailable (%s): %s", type(cause).__name__, cause)
    return error


def _from_django(exc: BaseException) -> AppError | None:
    if isinstance(exc, Http404):
        return NotFoundError()
    if isinstance(exc, PermissionDenied):
        return ForbiddenError()
    if isinstance(exc, RequestDataTooBig):
        return PayloadTooLargeError()
    if isinstance(exc, ValidationError):
        return ValidationFailedError("; ".join(exc.messages))
    return database_error(exc)


def _remember_uncaught(sender, request=None, **kwargs):
    """Django sends got_request_exception from inside its except block for every exception
    that becomes a 500: from a view, but also from a middleware (sessions and auth in the
    admin), which process_exception never sees. ErrorMiddleware reads it back."""
    if request is not None:
        request._uncaught_exception = sys.exc_info()[1]


got_request_exception.connect(_remember_uncaught, dispatch_uid="core.errors.remember_uncaught")

# Codes for error responses built by Django itself (not by error_response), e.g. a 405
# of the admin's logout view or a DEBUG-only technical 400 page.
_CODES_BY_STATUS = {
    400: "bad_request",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
}
_NO_BODY_STATUSES = (204, 304)


def _is_json(response) -> bool:
    return response.get("Content-Type", "").startswith("application/json")


def _as_json(response) -> JsonResponse:
    """A JSON stand-in for an HTML (or empty text) error response Django built itself."""
    status = response.status_code
    if status >= 500:
        replacement = internal_error_response()
        replacement.status_code = status
        return replacement
    try:
        message = f"{HTTPStatus(status).phrase}."
    except ValueError:
        message = "Bad request."
    code = _CODES_BY_STATUS.get(status, "bad_request")
    return JsonResponse({"error": message, "code": code}, status=status)


def _replace(old, new):
    """new, with the headers (security headers, Allow, Vary, ...) and cookies that the
    middlewares below put on old: only the body and its type change."""
    for header, value in old.items():
        if header.lower() not in ("content-type", "content-length") and header not in new:
            new[header] = value
    new.cookies = old.cookies
    new["Content-Length"] = str(len(new.content))
    return new


class ErrorMiddleware:
    """Renders every AppError raised outside the API's operations (and Django's
    404/403/400/413 exceptions) as JSON, and is
    the last word on every response: second in MIDDLEWARE (inside the request log only), so
    it also sees what the middlewares below it answered.

    - An exception nobody handled (a bug, or a database failure raised in a middleware or
      a view) is a JSON 500, or a JSON 503 database_unavailable, DEBUG on or off. Django
      has already logged it with its traceback (django.request).
    - Any other error response that is not JSON (Django's own pages) becomes JSON.
    - 204 and 304 carry neither a body nor a Content-Type; HEAD responses carry no body
      (their Content-Length is the GET's).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        uncaught = getattr(request, "_uncaught_exception", None)
        if uncaught is not None and response.status_code >= 500:
            error = database_error(uncaught)
            response = _replace(
                response, error_response(error) if error else internal_error_response()
            )
        elif response.status_code >= 400 and not _is_json(response) and not response.streaming:
            response = _replace(response, _as_json(response))
        if response.status_code in _NO_BODY_STATUSES:
            response.content = b""
            for header in ("Content-Type", "Content-Length"):
                if header in response:
                    del response[header]
        elif request.method == "HEAD" and not response.streaming:
            if "Content-Length" not in response:
                response["Content-Length"] = str(len(response.content))
            response.content = b""
        return response

    def process_exception(self, request, exc):
        """Errors raised outside the API's operations (the catch-all route, the admin)."""
        error = as_app_error(exc)
        if error is None:
            return None  # unknown: Django logs it, __call__ above answers JSON 500
        return error_response(error)
