import json
from http import HTTPStatus

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.db import DatabaseError
from django.http import Http404
from django.test import Client, RequestFactory, override_settings
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from pymongo import errors as pymongo_errors
from pymongo.synchronous.collection import Collection

from core import errors
from core.errors import AppError, ErrorMiddleware
from users import tokens

pytestmark = pytest.mark.django_db


def _all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_subclasses(sub)


def test_every_matching_error_renders_its_status_code_and_message():
    import matching.errors  # noqa: F401  (load every app's errors)
    import users.errors  # noqa: F401

    middleware = ErrorMiddleware(lambda request: None)
    request = RequestFactory().get("/")
    classes = list(_all_subclasses(AppError))
    assert len(classes) >= 15

    for cls in classes:
        response = middleware.process_exception(request, cls())
        assert response.status_code == cls.status, cls
        assert response["Content-Type"] == "application/json"
        assert json.loads(response.content) == {"error": cls.message, "code": cls.code}, cls


def test_every_app_error_renders_the_same_through_the_apis_exception_handler():
    import chat.errors  # noqa: F401  (load every app's errors)
    import matching.errors  # noqa: F401
    import users.errors  # noqa: F401
    from core.api import api

    request = RequestFactory().get("/")
    for cls in [AppError, *_all_subclasses(AppError)]:
        response = api.on_exception(request, cls())
        assert response.status_code == cls.status, cls
        assert response["Content-Type"] == "application/json"
        assert json.loads(response.content) == {"error": cls.message, "code": cls.code}, cls


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (HttpError(409, "Taken."), 409, "conflict"),
        (AuthenticationError(), 401, "unauthorized"),
        (
            NinjaValidationError([{"type": "missing", "loc": ("body", "body", "x"), "msg": ""}]),
            400,
            "missing_field",
        ),
        (Http404(), 404, "not_found"),
        (RequestDataTooBig(), 413, "payload_too_large"),
    ],
)
def test_the_apis_handler_translates_ninja_and_django_exceptions(exc, status, code):
    from core.api import api

    response = api.on_exception(RequestFactory().get("/"), exc)

    assert response.status_code == status
    assert json.loads(response.content)["code"] == code


def test_the_apis_handler_leaves_bugs_to_django():
    from core.api import api

    with pytest.raises(KeyError):
        api.on_exception(RequestFactory().get("/"), KeyError("bug"))


@pytest.mark.parametrize(
    ("errors", "code", "message"),
    [
        (
            [
                {"type": "missing", "loc": ("body", "body", "email"), "msg": "Field required"},
                {"type": "extra_forbidden", "loc": ("body", "body", "zz"), "msg": "Extra"},
                {"type": "extra_forbidden", "loc": ("body", "body", "$where"), "msg": "Extra"},
            ],
            "unknown_field",
            "Unknown field(s): $where, zz.",
        ),
        (
            [
                {"type": "string_type", "loc": ("body", "body", "role"), "msg": "Input"},
                {"type": "missing", "loc": ("body", "body", "email"), "msg": "Field required"},
            ],
            "missing_field",
            "The field 'email' is required.",
        ),
        (
            [{"type": "string_type", "loc": ("body", "body", "major", 0), "msg": "Input"}],
            "invalid_field",
            "The field 'major.0' must be a string.",
        ),
        (
            [{"type": "string_pattern_mismatch", "loc": ("query", "limit"), "msg": "No match"}],
            "invalid_field",
            "The field 'limit' is invalid: No match.",
        ),
    ],
)
def test_pydantic_errors_map_to_the_contracts_codes(errors, code, message):
    from core.api import validation_error

    error = validation_error(errors)

    assert (error.code, str(error)) == (code, message)


def test_codes_are_snake_case_and_statuses_are_client_errors_or_unavailable():
    for cls in [AppError, *_all_subclasses(AppError)]:
        assert cls.code.replace("_", "").isalpha() and cls.code.islower(), cls
        assert 400 <= cls.status < 500 or cls.status == 503, cls
        # 429 and 503 tell the client when to come back.
        assert (cls.retry_after is not None) == (cls.status in (429, 503)), cls


def test_retry_after_is_sent_when_the_error_carries_it():
    middleware = ErrorMiddleware(lambda request: None)
    request = RequestFactory().get("/")
    plain = middleware.process_exception(request, AppError())
    assert "Retry-After" not in plain
    timed = middleware.process_exception(request, AppError(retry_after=7.4))
    assert timed["Retry-After"] == "7"
    floor = middleware.process_exception(request, AppError(retry_after=0))
    assert floor["Retry-After"] == "1"


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (Http404(), 404, "not_found"),
        (PermissionDenied(), 403, "forbidden"),
        (RequestDataTooBig(), 413, "payload_too_large"),
        (ValidationError("bad value"), 400, "validation_failed"),
    ],
)
def test_django_exceptions_are_translated(exc, status, code):
    response = ErrorMiddleware(lambda r: None).process_exception(RequestFactory().get("/"), exc)

    assert response.status_code == status
    assert json.loads(response.content)["code"] == code


def test_unknown_exceptions_are_left_to_django():
    assert (
        ErrorMiddleware(lambda r: None).process_exception(RequestFactory().get("/"), KeyError())
        is None
    )


def test_custom_message_overrides_default():
    assert str(errors.NotFoundError("No such mentor.")) == "No such mentor."


def test_unknown_route_is_json_404(api):
    response = api().get("/no/such/route/")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json() == {"error": "No route for /no/such/route/.", "code": "not_found"}


def test_path_without_trailing_slash_is_404_not_a_redirect(api):
    response = api().post("/auth/login", {"email": "a@b.edu", "password": "x"})

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize(
    "raw",
    [b"{not json", b"\xff\xfe", b"[1, 2]", b'"a string"', b"null"],
    ids=["syntax", "bytes", "list", "string", "null"],
)
def test_invalid_json_bodies_are_400(api, raw):
    response = api().request("POST", "/auth/login/", raw=raw)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == "invalid_json"


def test_body_over_one_mib_is_413(api):
    raw = b'{"email": "' + b"a" * (1024 * 1024) + b'", "password": "x"}'

    response = api().request("POST", "/auth/login/", raw=raw)

    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert response.json() == {
        "error": "The request body is larger than 1 MiB.",
        "code": "payload_too_large",
    }


def test_server_errors_answer_json():
    from config.urls import server_error

    response = server_error(RequestFactory().get("/"))

    assert response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    assert json.loads(response.content) == {
        "error": "Internal server error.",
        "code": "internal_error",
    }


def test_health(api):
    response = api().get("/health/")

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"status": "ok"}


# --- database failures: a JSON 503 database_unavailable -------------------------------


def _wrapped(cause: Exception) -> DatabaseError:
    """What django-mongodb-backend raises for a failing ORM query (query.wrap_database_errors)."""
    try:
        raise DatabaseError() from cause
    except DatabaseError as exc:
        return exc


@pytest.mark.parametrize(
    "exc",
    [
        pymongo_errors.ServerSelectionTimeoutError("No servers found yet"),
        pymongo_errors.AutoReconnect("connection reset"),
        pymongo_errors.NetworkTimeout("timed out"),
        pymongo_errors.ConnectionFailure("refused"),
        pymongo_errors.WaitQueueTimeoutError("pool full"),
        pymongo_errors.NotPrimaryError("not primary"),
        pymongo_errors.ExecutionTimeout("operation exceeded time limit", 50),
        _wrapped(pymongo_errors.ServerSelectionTimeoutError("x")),
        _wrapped(pymongo_errors.NetworkTimeout("x")),
    ],
    ids=lambda exc: type(exc).__name__,
)
def test_connection_level_database_errors_are_503_with_retry_after(exc):
    response = ErrorMiddleware(lambda r: None).process_exception(RequestFactory().get("/"), exc)

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert json.loads(response.content) == {
        "error": "The database is unavailable; try again shortly.",
        "code": "database_unavailable",
    }
    assert response["Retry-After"] == str(errors.DatabaseUnavailableError.retry_after)


@pytest.mark.parametrize(
    "exc",
    [
        pymongo_errors.OperationFailure("bad query", 2),
        pymongo_errors.DuplicateKeyError("E11000", 11000),
        _wrapped(pymongo_errors.OperationFailure("bad query", 2)),
        DatabaseError(),
        KeyError("bug"),
    ],
    ids=lambda exc: type(exc).__name__,
)
def test_other_database_errors_and_bugs_are_not_503(exc):
    assert errors.database_error(exc) is None


def _fail_every_query(monkeypatch, error):
    """Every read and write of the ORM and of the services fails at the driver, as it does
    when the server is gone."""

    def fail(*args, **kwargs):
        raise error

    for name in (
        "aggregate",
        "find",
        "find_one",
        "insert_many",
        "insert_one",
        "update_many",
        "update_one",
        "find_one_and_update",
        "bulk_write",
        "delete_many",
        "count_documents",
    ):
        monkeypatch.setattr(Collection, name, fail)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/users/me/", None),
        ("PUT", "/matching/profile/", {"goals": "x"}),
        ("POST", "/auth/login/", {"email": "a@b.edu", "password": "long-enough-pass"}),
        ("GET", "/health/ready/", None),
        ("GET", "/health/", None),
    ],
)
def test_views_answer_503_when_the_driver_cannot_reach_the_database(
    api, mentee, monkeypatch, method, path, body
):
    client = api(mentee)
    _fail_every_query(monkeypatch, pymongo_errors.ServerSelectionTimeoutError("gone"))
    monkeypatch.setattr(
        "pymongo.synchronous.database.Database.command",
        lambda *a, **k: (_ for _ in ()).throw(pymongo_errors.AutoReconnect("gone")),
    )

    response = client.request(method, path, body)

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response.json()["code"] == "database_unavailable"
    assert response["Retry-After"] == "5"


def test_liveness_does_not_touch_the_database(api, monkeypatch):
    _fail_every_query(monkeypatch, pymongo_errors.ServerSelectionTimeoutError("gone"))
    monkeypatch.setattr(
        "pymongo.synchronous.database.Database.command",
        lambda *a, **k: (_ for _ in ()).throw(pymongo_errors.AutoReconnect("gone")),
    )

    response = api().get("/health/live/")

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"status": "ok"}


class _RaisingMiddleware:
    """Stands in for a middleware (sessions, auth) whose database access fails."""

    error: Exception = KeyError("bug")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        raise type(self).error


def _with_raising_middleware(error):
    _RaisingMiddleware.error = error
    return override_settings(MIDDLEWARE=[*settings.MIDDLEWARE, f"{__name__}._RaisingMiddleware"])


@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
def test_a_database_failure_in_a_middleware_is_json_503(debug):
    client = Client(raise_request_exception=False)
    with _with_raising_middleware(_wrapped(pymongo_errors.AutoReconnect("gone"))):
        with override_settings(DEBUG=debug):
            response = client.get("/admin/")

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response.json()["code"] == "database_unavailable"
    assert response["Retry-After"] == "5"
    # Only the body changed: the headers of the middlewares below are kept.
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Content-Length"] == str(len(response.content))


@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
def test_a_bug_in_a_middleware_is_json_500_even_with_debug(debug, caplog):
    client = Client(raise_request_exception=False)
    with _with_raising_middleware(KeyError("bug")):
        with override_settings(DEBUG=debug):
            response = client.get("/users/me/")

    assert response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    assert response.json() == {"error": "Internal server error.", "code": "internal_error"}
    # Still logged, with its traceback.
    assert any(r.exc_info and r.exc_info[0] is KeyError for r in caplog.records)


def test_a_bug_in_a_view_with_debug_on_is_json_without_settings(api, monkeypatch, caplog):
    def boom(**kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr("users.services.login_user", boom)
    client = Client(raise_request_exception=False, HTTP_HOST="localhost")
    with override_settings(DEBUG=True):
        response = client.post(
            "/auth/login/",
            {"email": "a@b.edu", "password": "x"},
            content_type="application/json",
            HTTP_ACCEPT="text/html",
        )

    assert response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "internal_error"
    assert b"mongodb://" not in response.content
    assert settings.SECRET_KEY.encode() not in response.content
    assert any(r.exc_info and r.exc_info[0] is RuntimeError for r in caplog.records)


# --- JSON everywhere: unknown routes, CSRF, HEAD, 204 ---------------------------------

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("path", ["/no/such/route/", "/auth/login", "/users/me"])
def test_unknown_routes_are_json_404_for_every_method_despite_csrf(method, path, debug):
    # enforce_csrf_checks: the test client skips CSRF otherwise, hiding the HTML 403.
    client = Client(enforce_csrf_checks=True, HTTP_HOST="localhost")
    with override_settings(DEBUG=debug):
        response = client.generic(method, path, data=b'{"a": 1}', content_type="application/json")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response["Content-Type"] == "application/json"
    if method != "HEAD":
        assert response.json() == {"error": f"No route for {path}.", "code": "not_found"}


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_api_views_need_no_csrf_token(method, mentee):
    client = Client(enforce_csrf_checks=True, HTTP_HOST="localhost")
    access = tokens.issue_tokens(mentee)["access"]

    response = client.generic(
        method, "/users/me/", HTTP_AUTHORIZATION=f"Bearer {access}", content_type="application/json"
    )

    # Past CSRF: the method check answers (GET and DELETE are the methods of /users/me/).
    assert response.status_code in (HTTPStatus.METHOD_NOT_ALLOWED, HTTPStatus.ACCEPTED)
    assert response["Content-Type"] == "application/json"


def test_admin_keeps_csrf_and_its_failure_is_json():
    client = Client(enforce_csrf_checks=True, HTTP_HOST="localhost")

    response = client.post("/admin/login/", {"username": "a", "password": "b"})

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["code"] == "forbidden"
    assert response.json()["error"].startswith("CSRF verification failed")


@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
def test_a_disallowed_host_is_json_400(debug):
    with override_settings(DEBUG=debug):
        response = Client(HTTP_HOST="evil.example").get("/health/live/")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "bad_request"
    assert b"mongodb://" not in response.content


def test_head_is_allowed_wherever_get_is(api, mentee):
    get = api(mentee).get("/users/me/")
    head = api(mentee).request("HEAD", "/users/me/")

    assert head.status_code == get.status_code == HTTPStatus.OK
    assert head.content == b""
    assert head["Content-Type"] == get["Content-Type"] == "application/json"
    assert head["Content-Length"] == str(len(get.content))


def test_head_of_an_endpoint_without_get_is_405(api):
    response = api().request("HEAD", "/auth/login/")

    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert response["Allow"] == "POST"


def test_405_allow_lists_head_where_get_is(api, mentee):
    response = api(mentee).request("PATCH", "/users/me/")

    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert response["Allow"] == "GET, DELETE, HEAD"
    assert "HEAD" in response.json()["error"]


def test_head_runs_the_view_as_get(api, mentee):
    # /users/me/ answers GET and DELETE: a HEAD must not reach the DELETE branch.
    api(mentee).request("HEAD", "/users/me/")

    mentee.refresh_from_db()
    assert mentee.deletion_requested_at is None


def test_logout_204_has_no_body_and_no_content_type(api, mentee):
    client = api(mentee)

    response = client.post("/auth/logout/", {"refresh": client.tokens["refresh"]})

    assert response.status_code == HTTPStatus.NO_CONTENT
    assert response.content == b""
    assert "Content-Type" not in response
    assert "Content-Length" not in response
