"""The request log: one line per request with method, path, status, duration, user id and
request id; never a token, a password, a query string or a body."""

import logging
import re
from http import HTTPStatus

import pytest
from django.http import JsonResponse
from django.test import Client
from django.urls import path

from config.urls import server_error
from config.urls import urlpatterns as project_urls
from users.tests.factories import DEFAULT_PASSWORD, MenteeFactory

pytestmark = pytest.mark.django_db
LOGGER = "core.requests"
LINE = re.compile(
    r'method=(?P<method>\S+) path=(?P<path>"(?:[^"\\]|\\.)*") status=(?P<status>\d{3}) '
    r"duration_ms=(?P<duration>\d+\.\d) user=(?P<user>\S+) request_id=(?P<rid>\S+)"
)


def _boom(request):
    raise RuntimeError("unexpected failure")


def _ok(request):
    return JsonResponse({"ok": True})


# A URL conf with a view that crashes, to see what a 500 logs.
urlpatterns = [path("boom/", _boom), path("ok/", _ok), *project_urls]
handler500 = server_error


@pytest.fixture
def log(caplog):
    caplog.set_level(logging.INFO, logger=LOGGER)

    def lines():
        return [r for r in caplog.records if r.name == LOGGER]

    return lines


def _only(records):
    assert len(records) == 1, [r.getMessage() for r in records]
    match = LINE.fullmatch(records[0].getMessage())
    assert match, records[0].getMessage()
    return records[0], match


def test_a_signed_in_request_logs_method_path_status_duration_and_user(api, mentee, log):
    response = api(mentee).get("/users/me/?page=2&secret=query-value")

    assert response.status_code == HTTPStatus.OK
    record, line = _only(log())
    assert record.levelno == logging.INFO
    assert line["method"] == "GET"
    assert line["path"] == '"/users/me/"'  # the query string is left out
    assert line["status"] == "200"
    assert float(line["duration"]) >= 0
    assert line["user"] == str(mentee.pk)
    assert line["rid"] == response["X-Request-ID"]
    assert "query-value" not in record.getMessage()


def test_login_logs_neither_password_nor_tokens(api, log):
    user = MenteeFactory(email="logged@example.edu")
    response = api().post("/auth/login/", {"email": user.email, "password": DEFAULT_PASSWORD})

    assert response.status_code == HTTPStatus.OK
    body = response.json()
    refreshed = api().post("/auth/refresh/", {"refresh": body["refresh"]})
    assert refreshed.status_code == HTTPStatus.OK
    messages = [r.getMessage() for r in log()]
    assert len(messages) == 2
    for secret in (DEFAULT_PASSWORD, body["access"], body["refresh"], refreshed.json()["access"]):
        assert all(secret not in m for m in messages)
    assert all(user.email not in m for m in messages)
    assert LINE.fullmatch(messages[0])["user"] == "-"  # login itself is anonymous


def test_a_rejected_request_is_logged_with_its_status(api, log):
    response = api().get("/users/me/", HTTP_AUTHORIZATION="Bearer not-a-token")

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    record, line = _only(log())
    assert line["status"] == "401"
    assert line["user"] == "-"
    assert "not-a-token" not in record.getMessage()


def test_a_crash_is_logged_as_an_error_with_status_500(settings, log):
    settings.ROOT_URLCONF = __name__
    client = Client(HTTP_HOST="localhost", raise_request_exception=False)

    response = client.get("/boom/")

    assert response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    assert response.json()["code"] == "internal_error"
    record, line = _only(log())
    assert record.levelno == logging.ERROR
    assert line["status"] == "500"
    assert line["path"] == '"/boom/"'


def test_a_path_cannot_forge_log_lines(api, log):
    response = api().get("/no-such/%0Amethod=GET%20status=200%22")

    assert response.status_code == HTTPStatus.NOT_FOUND
    record, line = _only(log())
    assert "\n" not in record.getMessage()
    assert line["path"] == '"/no-such/\\nmethod=GET status=200\\""'


def test_a_safe_client_request_id_is_echoed_and_an_unsafe_one_replaced(settings, log):
    settings.ROOT_URLCONF = __name__
    client = Client(HTTP_HOST="localhost")

    echoed = client.get("/ok/", HTTP_X_REQUEST_ID="proxy-42.a_b")
    replaced = client.get("/ok/", HTTP_X_REQUEST_ID="bad id\nwith=newline")
    fresh = client.get("/ok/")

    assert echoed["X-Request-ID"] == "proxy-42.a_b"
    assert re.fullmatch(r"[0-9a-f]{32}", replaced["X-Request-ID"])
    assert re.fullmatch(r"[0-9a-f]{32}", fresh["X-Request-ID"])
    assert fresh["X-Request-ID"] != replaced["X-Request-ID"]
    ids = [LINE.fullmatch(r.getMessage())["rid"] for r in log()]
    assert ids == [echoed["X-Request-ID"], replaced["X-Request-ID"], fresh["X-Request-ID"]]
