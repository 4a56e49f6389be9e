"""Shared fixtures: a JSON API client, and a mentee/mentor/admin with their tokens."""

import json
import threading
import time
import uuid

import pytest
from django.db import connections
from django.test import Client

from matching.selectors import CARD_CACHE
from users import tokens
from users.tests.factories import AdminFactory, MenteeFactory, MentorFactory


class ApiClient:
    """Django's test client speaking JSON, optionally signed in as one user."""

    def __init__(self, user=None):
        self.client = Client(HTTP_HOST="localhost")
        self.user = user
        self.tokens = tokens.issue_tokens(user) if user is not None else None

    def request(self, method: str, path: str, body=None, *, raw: bytes | None = None, **extra):
        if self.tokens is not None and "HTTP_AUTHORIZATION" not in extra:
            extra["HTTP_AUTHORIZATION"] = f"Bearer {self.tokens['access']}"
        data = raw if raw is not None else (json.dumps(body) if body is not None else "")
        return self.client.generic(
            method, path, data=data, content_type="application/json", **extra
        )

    def get(self, path: str, **extra):
        return self.request("GET", path, **extra)

    def post(self, path: str, body=None, **extra):
        return self.request("POST", path, body, **extra)

    def put(self, path: str, body=None, **extra):
        return self.request("PUT", path, body, **extra)

    def delete(self, path: str, **extra):
        return self.request("DELETE", path, **extra)


@pytest.fixture
def api():
    """Build an ApiClient: api() anonymous, api(user) signed in as user."""
    return ApiClient


@pytest.fixture
def mentee(db):
    return MenteeFactory()


@pytest.fixture
def mentor(db):
    return MentorFactory()


@pytest.fixture
def admin_user(db):
    return AdminFactory()


@pytest.fixture(autouse=True)
def _fresh_limits(settings):
    """Every test starts with no rate-limit counters or lockouts: a key prefix of its own
    is a fresh namespace in the shared store, without touching the database (a test that
    needs none stays without)."""
    settings.RATELIMIT_CACHE_PREFIX = f"rl:{uuid.uuid4().hex}:"


@pytest.fixture(autouse=True)
def _no_cached_cards():
    """Every test starts with no mentor cards cached in this process (matching/selectors.py),
    as a fresh server process does: a match list's round trips then do not depend on the
    tests before it."""
    CARD_CACHE.clear()


class FrozenClock:
    """A clock for the limits that stands still until a test moves it."""

    def __init__(self):
        self.now = float(int(time.time()))

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def limits_clock(monkeypatch):
    """Freeze the clock the rate limits read (django-ratelimit's windows and the lockouts)."""
    import django_ratelimit.core

    import core.ratelimit

    clock = FrozenClock()
    monkeypatch.setattr(django_ratelimit.core, "time", clock)
    monkeypatch.setattr(core.ratelimit, "time", clock)
    return clock


# --- concurrency (wt-arch) -----------------------------------------------------------------


def run_all_at_once(calls, *, timeout: float = 60.0) -> list:
    """Run each call in a thread of its own, all released together by a barrier; returns
    their results in call order. Each thread closes its database connections (Django opens
    one per thread). A call's exception is raised here once all threads ended, and a thread
    still running after `timeout` fails the test rather than hanging it."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)
    errors: list[BaseException] = []

    def run(i, call):
        try:
            barrier.wait(timeout)
            results[i] = call()
        except BaseException as error:  # re-raised in the test's thread below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c), daemon=True) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    assert not any(t.is_alive() for t in threads), f"a call still ran after {timeout} s"
    if errors:
        raise errors[0]
    return results


@pytest.fixture
def all_at_once():
    """run_all_at_once: the thread-barrier runner of the concurrency tests."""
    return run_all_at_once
