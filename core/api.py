"""The one NinjaAPI object and the glue that keeps API.md's rules on top of django-ninja.

- Bodies: JSON objects only (invalid_json), no lone surrogates, an empty body is {}, over
  1 MiB is 413 (core/parsing.py: JsonParser, JsonBody); shape and types by strict pydantic
  schemas, their errors mapped to missing_field / unknown_field / invalid_field
  (core.parsing.validation_error).
- Errors: every exception an operation raises goes through core.errors.as_app_error and
  the one renderer, core.errors.error_response; anything else is re-raised (Django logs
  it, ErrorMiddleware answers a JSON 500).
- Methods: a wrong one is 405 with Allow; HEAD is served wherever GET is (_dispatch).
- Spec: each operation's error responses come from code (Api.get_openapi_schema): the
  errors its view declares with @raises, its BearerAuth's, the parser's, and 503.

Routers are added in config/urls.py (`api.add_router(...)`), so core imports no app.
"""

import functools
import json
from collections.abc import Callable
from importlib import import_module

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path as django_path
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.urls import get_openapi_urls
from ninja.utils import normalize_path, replace_path_param_notation
from pydantic import BaseModel

from core.auth import BearerAuth
from core.errors import (
    AppError,
    ConflictError,
    DatabaseUnavailableError,
    ForbiddenError,
    InvalidFieldError,
    InvalidJsonError,
    MethodNotAllowedError,
    MissingFieldError,
    NotFoundError,
    PayloadTooLargeError,
    RateLimitedError,
    UnauthorizedError,
    UnknownFieldError,
    as_app_error,
    error_response,
)
from core.parsing import JsonBody, JsonParser, validation_error
from core.schemas import Error

__all__ = [
    "api",
    "JsonBody",
    "raises",
    "no_database",
    "spec_text",
    "validation_error",
    "validated_json",
]

# What ninja's own HttpErrors (raised by its machinery, not by our code) become.
_HTTP_ERRORS = {
    401: UnauthorizedError,
    403: ForbiddenError,
    404: NotFoundError,
    405: MethodNotAllowedError,
    409: ConflictError,
    413: PayloadTooLargeError,
    429: RateLimitedError,
}


def validated_json(
    schema: type[BaseModel], payload: dict, *, by_alias: bool = False
) -> HttpResponse:
    """A 200 with `payload` validated by `schema` (the operation's declared response) and
    rendered by pydantic's core: the same checks and the same JSON document as returning
    the dict, at a third of the cost for a long list. ninja validates a returned dict
    through a Django attribute getter, dumps it back to dicts, then json.dumps them: 2.1 ms
    for a match list of 200 mentors against 0.64 ms here (in-process, 200 renders). A
    payload the schema refuses is a bug: pydantic's ValidationError is not an AppError, so
    it becomes the JSON 500 (ninja's own check would answer it as a client's 400).
    by_alias: as the operation's router renders (e.g. chat's "with")."""
    body = schema.model_validate(payload).model_dump_json(by_alias=by_alias)
    return HttpResponse(body, content_type="application/json")


def _render(request: HttpRequest, exc: Exception):
    if isinstance(exc, ValidationError):
        return error_response(validation_error(exc.errors))
    if isinstance(exc, HttpError):
        # ninja wraps what it cannot handle (e.g. a parser error) with the cause attached.
        cause = exc.__cause__ and as_app_error(exc.__cause__)
        if cause:
            return error_response(cause)
        if isinstance(exc, AuthenticationError):
            return error_response(UnauthorizedError())
        return error_response(_HTTP_ERRORS.get(exc.status_code, AppError)(str(exc)))
    error = as_app_error(exc)
    if error is None:
        raise exc  # a bug: Django logs it, handler500 / ErrorMiddleware answer a JSON 500
    return error_response(error)


# ---- operations and their error responses ------------------------------------------------


def raises(*errors: type[AppError]) -> Callable:
    """Declare the AppErrors an operation's view can raise (beyond authentication, the body
    parser and the database): they become its error responses in the spec."""

    def decorator(view: Callable) -> Callable:
        view.raises = (*getattr(view, "raises", ()), *errors)
        return view

    return decorator


# Every operation that touches the database can answer 503; these do not.
def no_database(view: Callable) -> Callable:
    view.no_database = True
    return view


BODY_ERRORS = (
    InvalidJsonError,
    MissingFieldError,
    UnknownFieldError,
    InvalidFieldError,
    PayloadTooLargeError,
)
QUERY_ERRORS = (MissingFieldError, InvalidFieldError)


def operation_errors(operation) -> list[type[AppError]]:
    """Every AppError class an operation can answer with, taken from the code."""
    found: list[type[AppError]] = []
    sources = {model.__ninja_param_source__ for model in operation.models}
    if "body" in sources:
        found += BODY_ERRORS
    if "query" in sources:
        found += QUERY_ERRORS
    for callback in operation.auth_callbacks:
        if isinstance(callback, BearerAuth):
            found += callback.error_classes()
    found += getattr(operation.view_func, "raises", ())
    found.append(MethodNotAllowedError)  # any other method on its path
    if not getattr(operation.view_func, "no_database", False):
        found.append(DatabaseUnavailableError)
    return list(dict.fromkeys(found))


def _describe(codes: list[str]) -> str:
    return "Error codes: " + ", ".join(f"`{code}`" for code in codes) + "."


# ---- the API -----------------------------------------------------------------------------


def _allowed_methods(path_view) -> tuple[str, ...]:
    methods: list[str] = []
    for operation in path_view.operations:
        methods += [m for m in operation.methods if m not in methods]
    return tuple(methods)


def _dispatch(path_view) -> Callable:
    """The Django view of one path: 405 with Allow for a method it has no operation for,
    HEAD answered as GET (ErrorMiddleware drops the body and keeps Content-Length)."""
    documented = _allowed_methods(path_view)
    accepted = (*documented, "HEAD") if "GET" in documented else documented
    view = path_view.get_view()

    def dispatch(request, *args, **kwargs):
        if request.method not in accepted:
            raise MethodNotAllowedError(
                f"Method {request.method} is not allowed here; use {', '.join(accepted)}.",
                allowed=accepted,
            )
        if request.method != "HEAD":
            return view(request, *args, **kwargs)
        request.method = "GET"  # operations are registered for GET; HEAD again for the log
        try:
            return view(request, *args, **kwargs)
        finally:
            request.method = "HEAD"

    dispatch.csrf_exempt = True  # bearer tokens, no cookies: nothing for CSRF to protect
    dispatch.allowed_methods = documented  # the documented set (the spec), without HEAD
    return dispatch


def _optional_empty_body(spec: dict, schema: dict) -> None:
    """An empty body is {} (JsonParser): where {} is valid, the body is not required."""
    body = spec.get("requestBody")
    if not body:
        return
    ref = body["content"]["application/json"]["schema"].get("$ref", "")
    target = schema["components"]["schemas"].get(ref.rsplit("/", 1)[-1], {})
    if not target.get("required"):
        body["required"] = False


class Api(NinjaAPI):
    def get_content_type(self) -> str:
        # The Content-Type Django's JsonResponse sends, as the error responses do.
        return "application/json"

    def _get_urls(self):
        # As NinjaAPI._get_urls, with each path's view wrapped by _dispatch (405, HEAD).
        urls = get_openapi_urls(self)
        for bound in self._get_bound_routers():
            prefix = replace_path_param_notation(bound.prefix)
            for route, path_view in bound.path_operations.items():
                route = "/".join(i for i in (prefix, replace_path_param_notation(route)) if i)
                route = normalize_path(route).lstrip("/")
                view = _dispatch(path_view)
                for operation in path_view.operations:
                    name = getattr(operation, "url_name", "") or self.get_operation_url_name(
                        operation, router=bound.template
                    )
                    urls.append(django_path(route, view, name=name))
        # No api-root view ("/" is the catch-all's JSON 404): get_root_path says where it is.
        return urls

    def get_root_path(self, path_params) -> str:
        return "/"  # config/urls.py mounts the API at the site root

    def operations(self):
        """(operation id, operation) of every operation of every router."""
        for bound in self._get_bound_routers():
            for path_view in bound.path_operations.values():
                for operation in path_view.operations:
                    yield self.get_openapi_operation_id(operation), operation

    def get_openapi_operation_id(self, operation) -> str:
        return operation.operation_id or operation.view_func.__name__

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        by_id = dict(self.operations())
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["Error"] = Error.model_json_schema(ref_template="#/components/schemas/{model}")
        for item in schema["paths"].values():
            for spec in item.values():
                operation = by_id.get(spec.get("operationId"))
                if operation is None:
                    continue
                _optional_empty_body(spec, schema)
                by_status: dict[int, list[str]] = {}
                for error in operation_errors(operation):
                    codes = by_status.setdefault(error.status, [])
                    if error.code not in codes:
                        codes.append(error.code)
                for status, codes in sorted(by_status.items()):
                    spec["responses"][status] = {
                        "description": _describe(codes),
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                        },
                    }
        return schema


# ---- Swagger UI --------------------------------------------------------------------------

# Swagger UI needs no 'unsafe-inline' or 'unsafe-eval' (React sets its inline styles through
# the CSSOM, which CSP allows; ninja's page passes its settings in a JSON data block, which
# is not a script); data: images: its CSS draws icons as data: URLs.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)
DOCS_METHODS = ("GET", "HEAD")


def _docs_view(view: Callable) -> Callable:
    """ninja's docs page and spec views: GET and HEAD only, and a policy allowing 'self'
    only. The page's files are ninja's packaged static files (ninja/static/ninja/), served by
    WhiteNoise from STATIC_ROOT like the admin's: nothing comes from a CDN."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method not in DOCS_METHODS:
            raise MethodNotAllowedError(
                f"Method {request.method} is not allowed here; use GET, HEAD.",
                allowed=DOCS_METHODS,
            )
        response = view(request, *args, **kwargs)
        response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        return response

    wrapper.csrf_exempt = True  # a POST is a 405, not a CSRF 403
    return wrapper


api = Api(
    title="Mentor Match API",
    version="1.0.0",
    description=(
        "Backend of a mentor–mentee matching programme. The contract is the shared API.md;"
        " docs/api.md is the human reference. Every error is {error, code}; each operation"
        " lists its error codes per status. This spec is exported from the code"
        " (`python manage.py export_openapi` writes docs/openapi.json)."
    ),
    urls_namespace="api",
    auth=BearerAuth(),  # every operation needs a token unless it says auth=None
    parser=JsonParser(),
    openapi_url="/api/openapi.json",
    docs_url="/api/docs/",
    # validatorUrl null: else Swagger UI sends the spec to validator.swagger.io.
    docs=Swagger(settings={"validatorUrl": None, "persistAuthorization": False}),
    docs_decorator=_docs_view,
)
# ninja's defaults answer {"detail": ...} (and 422 for validation); ours {"error", "code"}.
for _exception in (Exception, Http404, ValidationError, HttpError):
    api.add_exception_handler(_exception, _render)


def spec_text() -> str:
    """The spec as docs/openapi.json holds it: stable key order, UTF-8, a final newline.
    The routers are added by config/urls.py, so it is loaded first."""
    import_module(settings.ROOT_URLCONF)
    return json.dumps(api.get_openapi_schema(), indent=2, ensure_ascii=False) + "\n"
