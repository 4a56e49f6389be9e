"""Limits on sign-in and registration (docs/operations.md "Limits")."""

import os
import subprocess
import sys
from http import HTTPStatus
from pathlib import Path

import pytest
from django.db import connection

from users.models import User
from users.tests.factories import DEFAULT_PASSWORD, MenteeFactory

pytestmark = pytest.mark.django_db

LOGIN = "/auth/login/"
REGISTER = "/auth/register/"


def _login(api, email, password, **extra):
    return api().post(LOGIN, {"email": email, "password": password}, **extra)


def _fail(api, email, times, **extra):
    for _ in range(times):
        assert _login(api, email, "wrong-password-1", **extra).status_code == 401


def _assert_rate_limited(response, retry_after=None):
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error", "code"} and body["code"] == "rate_limited"
    if retry_after is not None:
        assert response["Retry-After"] == str(retry_after)
    return body


def test_ten_failures_lock_the_account_even_for_the_right_password(api, limits_clock):
    user = MenteeFactory()
    _fail(api, user.email, 10)

    locked = _login(api, user.email, DEFAULT_PASSWORD)

    _assert_rate_limited(locked, retry_after=900)  # the default 10/15m locks for 15 minutes
    assert "access" not in locked.json()
    limits_clock.advance(899)
    _assert_rate_limited(_login(api, user.email.upper(), DEFAULT_PASSWORD), retry_after=1)
    limits_clock.advance(1)
    assert _login(api, user.email, DEFAULT_PASSWORD).status_code == HTTPStatus.OK


def test_nine_failures_do_not_lock(api):
    user = MenteeFactory()
    _fail(api, user.email, 9)

    assert _login(api, user.email, DEFAULT_PASSWORD).status_code == HTTPStatus.OK


def test_the_lockout_answers_alike_whether_or_not_the_account_exists(api, limits_clock):
    user = MenteeFactory()
    _fail(api, user.email, 10)
    _fail(api, "nobody@example.edu", 10)

    real = _login(api, user.email, DEFAULT_PASSWORD)
    unknown = _login(api, "nobody@example.edu", DEFAULT_PASSWORD)

    assert _assert_rate_limited(real) == _assert_rate_limited(unknown)
    assert real["Retry-After"] == unknown["Retry-After"]


def test_a_locked_account_does_not_lock_others(api):
    locked, other = MenteeFactory(), MenteeFactory()
    _fail(api, locked.email, 10)

    assert _login(api, other.email, DEFAULT_PASSWORD).status_code == HTTPStatus.OK


def test_failures_per_address_lock_that_address_only(api, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = "3/15m"
    user = MenteeFactory()
    for n in range(3):  # three different accounts, one address
        _fail(api, f"guess{n}@example.edu", 1, REMOTE_ADDR="198.51.100.7")

    _assert_rate_limited(_login(api, user.email, DEFAULT_PASSWORD, REMOTE_ADDR="198.51.100.7"))
    other = _login(api, user.email, DEFAULT_PASSWORD, REMOTE_ADDR="198.51.100.8")
    assert other.status_code == HTTPStatus.OK


@pytest.mark.parametrize("trusted", [False, True])
def test_forwarded_for_is_honoured_only_from_a_trusted_proxy(api, settings, trusted):
    settings.LOGIN_FAILURES_PER_ADDRESS = "2/15m"
    settings.TRUSTED_PROXIES = ["127.0.0.0/8"] if trusted else []
    user = MenteeFactory()
    via_proxy = {"REMOTE_ADDR": "127.0.0.1"}
    _fail(api, "a@example.edu", 1, HTTP_X_FORWARDED_FOR="198.51.100.1", **via_proxy)
    _fail(api, "b@example.edu", 1, HTTP_X_FORWARDED_FOR="198.51.100.1", **via_proxy)

    response = _login(
        api, user.email, DEFAULT_PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.2", **via_proxy
    )

    if trusted:  # two clients behind the proxy: the second has no failures
        assert response.status_code == HTTPStatus.OK
    else:  # the header is the client's word: everyone is the proxy's one address
        _assert_rate_limited(response)


def _register(api, email, **extra):
    body = {"email": email, "password": DEFAULT_PASSWORD, "role": "MENTEE"}
    return api().post(REGISTER, body, **extra)


def test_registrations_per_address(api, settings):
    settings.REGISTRATIONS_PER_ADDRESS = "2/h"
    for n in range(2):
        assert _register(api, f"new{n}@example.edu").status_code == HTTPStatus.CREATED

    refused = _register(api, "new2@example.edu")

    body = _assert_rate_limited(refused)
    assert body["error"] == "Too many attempts; try again later."
    assert 1 <= int(refused["Retry-After"]) <= 3600
    assert not User.objects.filter(email="new2@example.edu").exists()
    elsewhere = _register(api, "new2@example.edu", REMOTE_ADDR="198.51.100.9")
    assert elsewhere.status_code == HTTPStatus.CREATED


def test_default_limits_leave_a_real_user_alone(api):
    """A few sign-ins with typos, and a sign-up, from one address."""
    user = MenteeFactory()
    _fail(api, user.email, 3)
    assert _register(api, "someone@example.edu").status_code == HTTPStatus.CREATED
    for _ in range(20):
        assert _login(api, user.email, DEFAULT_PASSWORD).status_code == HTTPStatus.OK


SIGN_IN_ELSEWHERE = """
import os, django
django.setup()
from django.conf import settings
from django.db import connections
from django.test import Client
connections["default"].settings_dict["NAME"] = os.environ["LIMITS_DB_NAME"]
settings.RATELIMIT_CACHE_PREFIX = os.environ["LIMITS_PREFIX"]
client = Client(HTTP_HOST="localhost")
for _ in range(10):
    response = client.post(
        "/auth/login/",
        {"email": os.environ["LIMITS_EMAIL"], "password": "wrong-password-1"},
        content_type="application/json",
    )
    assert response.status_code == 401, response.content
"""


@pytest.mark.django_db(transaction=True)
def test_the_lockout_is_shared_by_every_process(api, settings):
    """Another process (as another gunicorn worker would) fails ten times: this one is
    locked too, because the counters are in the database."""
    user = MenteeFactory()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.test_settings",
        "LIMITS_DB_NAME": connection.settings_dict["NAME"],
        "LIMITS_PREFIX": settings.RATELIMIT_CACHE_PREFIX,
        "LIMITS_EMAIL": user.email,
    }
    done = subprocess.run(
        [sys.executable, "-c", SIGN_IN_ELSEWHERE],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr

    _assert_rate_limited(_login(api, user.email, DEFAULT_PASSWORD))


def test_unknown_emails_cost_one_password_hash_like_wrong_passwords(api, monkeypatch):
    """Equal work, not a timing measurement: both paths hash the password exactly once,
    and a locked-out sign-in hashes nothing, known account or not."""
    from django.contrib.auth.hashers import get_hasher

    hasher = type(get_hasher())
    hashed = []
    original = hasher.encode
    monkeypatch.setattr(
        hasher, "encode", lambda self, *a, **kw: hashed.append(1) or original(self, *a, **kw)
    )
    user = MenteeFactory()

    costs = {}
    for email in (user.email, "nobody@example.edu"):
        hashed.clear()
        _fail(api, email, 1)
        costs[email] = len(hashed)
    assert costs == {user.email: 1, "nobody@example.edu": 1}

    for email in (user.email, "nobody@example.edu"):
        _fail(api, email, 9)
        hashed.clear()
        _assert_rate_limited(_login(api, email, DEFAULT_PASSWORD))
        assert hashed == []
