import json
from http import HTTPStatus

import pytest
from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.http import Http404
from django.test import RequestFactory

from config import errors
from config.errors import ErrorMiddleware, MatchingError

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
    classes = list(_all_subclasses(MatchingError))
    assert len(classes) >= 15

    for cls in classes:
        response = middleware.process_exception(request, cls())
        assert response.status_code == cls.status, cls
        assert response["Content-Type"] == "application/json"
        assert json.loads(response.content) == {"error": cls.message, "code": cls.code}, cls


def test_codes_are_snake_case_and_statuses_are_client_errors_or_unavailable():
    for cls in [MatchingError, *_all_subclasses(MatchingError)]:
        assert cls.code.replace("_", "").isalpha() and cls.code.islower(), cls
        assert 400 <= cls.status < 500 or cls.status == 503, cls
        # 429 and 503 tell the client when to come back.
        assert (cls.retry_after is not None) == (cls.status in (429, 503)), cls


def test_retry_after_is_sent_when_the_error_carries_it():
    middleware = ErrorMiddleware(lambda request: None)
    request = RequestFactory().get("/")
    plain = middleware.process_exception(request, MatchingError())
    assert "Retry-After" not in plain
    timed = middleware.process_exception(request, MatchingError(retry_after=7.4))
    assert timed["Retry-After"] == "7"
    floor = middleware.process_exception(request, MatchingError(retry_after=0))
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
