"""Request-boundary helpers: the endpoint decorator (method, auth, role) and JSON parsing."""

import functools
import json
from collections.abc import Callable, Iterable
from typing import Any

from django.views.decorators.csrf import csrf_exempt

from core.errors import (
    AccountPendingDeletionError,
    AppError,
    InvalidFieldError,
    InvalidJsonError,
    MethodNotAllowedError,
    MissingFieldError,
    UnknownFieldError,
    WrongRoleError,
)


def json_endpoint(
    *methods: str,
    auth: bool = True,
    roles: Iterable[str] | None = None,
    allow_pending_deletion: bool = False,
) -> Callable:
    """Wrap a view: check the method, authenticate the bearer token, check role and status."""
    allowed = tuple(m.upper() for m in methods)
    # HEAD wherever GET (RFC 9110): the view runs as for GET; core.errors.ErrorMiddleware
    # drops the body. allowed_methods stays the documented set (docs/openapi.yaml).
    accepted = (*allowed, "HEAD") if "GET" in allowed else allowed
    role_set = frozenset(roles) if roles is not None else None

    def decorator(view: Callable) -> Callable:
        def run(request, args, kwargs):
            if auth:
                from users.tokens import authenticate_request  # users sits above config

                request.user = authenticate_request(request)
                if role_set is not None and request.user.role not in role_set:
                    raise WrongRoleError(
                        f"This endpoint is for {' or '.join(sorted(role_set))} accounts."
                    )
                if not allow_pending_deletion and request.user.deletion_requested_at:
                    raise AccountPendingDeletionError()
            return view(request, *args, **kwargs)

        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method not in accepted:
                raise MethodNotAllowedError(
                    f"Method {request.method} is not allowed here; use {', '.join(accepted)}.",
                    allowed=accepted,
                )
            if request.method != "HEAD":
                return run(request, args, kwargs)
            # Views branch on request.method == "GET"; HEAD again afterwards, for the log.
            request.method = "GET"
            try:
                return run(request, args, kwargs)
            finally:
                request.method = "HEAD"

        wrapper.allowed_methods = allowed
        return wrapper

    return decorator


def read_json(
    request,
    *,
    required: dict[str, type | tuple[type, ...]] | None = None,
    optional: dict[str, type | tuple[type, ...]] | None = None,
) -> dict[str, Any]:
    """Parse the body as a JSON object whose fields have exactly the given types."""
    required = required or {}
    optional = optional or {}
    raw = request.body  # raises RequestDataTooBig (413) past DATA_UPLOAD_MAX_MEMORY_SIZE
    try:
        data = json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise InvalidJsonError() from None
    except RecursionError:  # nested deeper than the interpreter's recursion limit
        raise InvalidJsonError("The request body is nested too deeply.") from None
    if not isinstance(data, dict):
        raise InvalidJsonError("The request body must be a JSON object.")
    if not _is_valid_unicode(data):
        raise InvalidJsonError("The request body has text that is not valid Unicode.")
    unknown = sorted(set(data) - set(required) - set(optional))
    if unknown:
        raise UnknownFieldError(f"Unknown field(s): {', '.join(unknown)}.")
    for name in required:
        if name not in data:
            raise MissingFieldError(f"The field '{name}' is required.")
    for name, expected in {**required, **optional}.items():
        if name in data:
            check_type(name, data[name], expected)
    return data


def _is_valid_unicode(value: Any) -> bool:
    """JSON may escape lone surrogates ("\\ud800"); such text has no UTF-8 form, so BSON
    cannot store or even query it. Refused at the boundary instead of failing in the driver.

    A loop, not recursion: a body nested a few hundred levels deep parses, but recursing
    through it would hit the interpreter's recursion limit (a 500)."""
    todo = [value]
    while todo:
        item = todo.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return False
        elif isinstance(item, dict):
            todo.extend(item.keys())
            todo.extend(item.values())
        elif isinstance(item, list):
            todo.extend(item)
    return True


_TYPE_NAMES = {
    str: "a string",
    bool: "a boolean",
    int: "an integer",
    list: "a list",
    dict: "an object",
}


def check_type(name: str, value: Any, expected: type | tuple[type, ...]) -> None:
    """Raise InvalidFieldError unless value is of the expected JSON type (bool is not int)."""
    types = expected if isinstance(expected, tuple) else (expected,)
    ok = any(isinstance(value, t) and not (t is int and isinstance(value, bool)) for t in types)
    if not ok:
        wanted = " or ".join(_TYPE_NAMES.get(t, t.__name__) for t in types)
        raise InvalidFieldError(f"The field '{name}' must be {wanted}.")


def query_param(request, name: str) -> str | None:
    """A single query-string value; a repeated parameter is a 400."""
    values = request.GET.getlist(name)
    if len(values) > 1:
        raise InvalidFieldError(f"The query parameter '{name}' was given more than once.")
    return values[0] if values else None


__all__ = ["AppError", "json_endpoint", "read_json", "check_type", "query_param"]
