"""The domain error hierarchy and the one place that turns exceptions into JSON."""

import logging

from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.http import Http404, JsonResponse

logger = logging.getLogger(__name__)


class MatchingError(Exception):
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


class ValidationFailedError(MatchingError):
    status, code, message = 400, "validation_failed", "The request failed validation."


class InvalidJsonError(MatchingError):
    status, code, message = 400, "invalid_json", "The request body is not valid JSON."


class UnauthorizedError(MatchingError):
    status, code, message = 401, "unauthorized", "Authentication credentials were not provided."


class ForbiddenError(MatchingError):
    status, code, message = 403, "forbidden", "You are not allowed to do this."


class NotFoundError(MatchingError):
    status, code, message = 404, "not_found", "Not found."


class MethodNotAllowedError(MatchingError):
    status, code, message = 405, "method_not_allowed", "Method not allowed."

    def __init__(self, message: str | None = None, *, allowed: tuple[str, ...] = ()):
        super().__init__(message)
        self.allowed = allowed


class ConflictError(MatchingError):
    status, code, message = 409, "conflict", "The request conflicts with the current state."


class PayloadTooLargeError(MatchingError):
    status, code, message = 413, "payload_too_large", "The request body is larger than 1 MiB."


class RateLimitedError(MatchingError):
    """Too many attempts or requests (config/ratelimit.py); always carries Retry-After."""

    status, code, message = 429, "rate_limited", "Too many attempts; try again later."
    retry_after = 60  # a fallback: the limits raise it with the seconds their window has left


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


def error_response(error: MatchingError) -> JsonResponse:
    response = JsonResponse({"error": str(error), "code": error.code}, status=error.status)
    if isinstance(error, MethodNotAllowedError) and error.allowed:
        response["Allow"] = ", ".join(error.allowed)
    if error.retry_after is not None:
        response["Retry-After"] = str(error.retry_after)
    return response


def _from_django(exc: Exception) -> MatchingError | None:
    if isinstance(exc, Http404):
        return NotFoundError()
    if isinstance(exc, PermissionDenied):
        return ForbiddenError()
    if isinstance(exc, RequestDataTooBig):
        return PayloadTooLargeError()
    if isinstance(exc, ValidationError):
        return ValidationFailedError("; ".join(exc.messages))
    return None


class ErrorMiddleware:
    """Renders every MatchingError (and Django's 404/403/400/413 exceptions) as JSON."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exc):
        error = exc if isinstance(exc, MatchingError) else _from_django(exc)
        if error is None:
            return None  # unknown: Django logs it and handler500 answers JSON
        return error_response(error)
