"""Password hashing (Argon2id at OWASP's parameters, PBKDF2 upgraded at login) and the
per-process bound on concurrent password checks (docs/operations.md "Passwords")."""

import os
import threading
from http import HTTPStatus

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher, get_hasher, make_password
from django.db import connections

import config.settings as production_settings
from core.errors import ServerBusyError
from users import password_gate
from users.models import User
from users.tests.factories import DEFAULT_PASSWORD, MenteeFactory

pytestmark = pytest.mark.django_db(transaction=True)

LOGIN = "/auth/login/"
REGISTER = "/auth/register/"
OWASP_PARAMETERS = "$argon2id$v=19$m=19456,t=2,p=1$"
WAIT_S = 10  # a bound for waits on other threads, never reached when the code is right


# --- the hashers -----------------------------------------------------------------------


@pytest.fixture
def real_hashers(settings):
    """The production hasher list (the test settings hash with MD5 for speed)."""
    settings.PASSWORD_HASHERS = production_settings.PASSWORD_HASHERS


def test_new_passwords_are_argon2id_at_owasp_parameters(real_hashers):
    encoded = make_password(DEFAULT_PASSWORD)

    assert encoded.startswith("argon2" + OWASP_PARAMETERS)
    assert get_hasher().must_update(encoded) is False


def test_a_pbkdf2_hash_is_upgraded_at_the_first_successful_login_only(api, real_hashers):
    user = MenteeFactory(password="placeholder")
    pbkdf2 = make_password(DEFAULT_PASSWORD, hasher="pbkdf2_sha256")
    User.objects.filter(pk=user.pk).update(password=pbkdf2)

    wrong = api().post(LOGIN, {"email": user.email, "password": "not-the-password-1"})

    assert wrong.status_code == HTTPStatus.UNAUTHORIZED
    assert User.objects.get(pk=user.pk).password == pbkdf2

    right = api().post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD})

    assert right.status_code == HTTPStatus.OK
    upgraded = User.objects.get(pk=user.pk).password
    assert upgraded.startswith("argon2" + OWASP_PARAMETERS)
    assert User.objects.get(pk=user.pk).check_password(DEFAULT_PASSWORD)


def test_an_unknown_email_costs_one_hash_with_the_first_hasher(api, real_hashers, monkeypatch):
    """The dummy work for an unknown email is an Argon2id hash at the same parameters as a
    real check: no account-existence oracle by timing."""
    hasher_class = type(get_hasher())
    used = []
    original = hasher_class.encode

    def spy(self, password, salt):
        used.append(self.params())
        return original(self, password, salt)

    monkeypatch.setattr(hasher_class, "encode", spy)

    response = api().post(LOGIN, {"email": "nobody@example.edu", "password": DEFAULT_PASSWORD})

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert [(p.type.name, p.memory_cost, p.time_cost, p.parallelism) for p in used] == [
        ("ID", 19456, 2, 1)
    ]


# --- the gate --------------------------------------------------------------------------


class BlockingHasher(MD5PasswordHasher):
    """MD5 (the test hasher) that, while armed, announces each hash and then holds it until
    the test releases them all: slots stay taken as long as the test wants. verify() goes
    through encode() too."""

    armed = False
    entered = threading.Semaphore(0)
    released = threading.Event()

    def encode(self, password, salt):
        if BlockingHasher.armed:
            BlockingHasher.entered.release()
            BlockingHasher.released.wait(WAIT_S)
        return super().encode(password, salt)


@pytest.fixture
def blocking(settings):
    """Settings with BlockingHasher and a short wait; yields a function that starts n logins
    in threads and returns once all n hold a slot (they answer when the test releases)."""
    settings.PASSWORD_HASHERS = [f"{__name__}.BlockingHasher"]
    settings.PASSWORD_CHECK_WAIT_MS = 50
    BlockingHasher.entered = threading.Semaphore(0)
    BlockingHasher.released = threading.Event()
    threads, statuses = [], []

    def hold(api, n, email, password=DEFAULT_PASSWORD):
        BlockingHasher.armed = True

        def login():
            try:
                body = {"email": email, "password": password}
                statuses.append(api().post(LOGIN, body).status_code)
            finally:
                connections.close_all()

        for _ in range(n):
            threads.append(threading.Thread(target=login))
            threads[-1].start()
        for _ in range(n):
            assert BlockingHasher.entered.acquire(timeout=WAIT_S), "a login never hashed"

    def release():
        BlockingHasher.armed = False
        BlockingHasher.released.set()
        for thread in threads:
            thread.join(WAIT_S)
        assert not any(thread.is_alive() for thread in threads)
        return statuses

    hold.release = release
    yield hold
    BlockingHasher.armed = False
    BlockingHasher.released.set()
    for thread in threads:
        thread.join(WAIT_S)


def _assert_busy(response):
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response["Content-Type"] == "application/json"
    assert response["Retry-After"] == "1"
    body = response.json()
    assert set(body) == {"error", "code"} and body["code"] == "server_busy"
    assert "access" not in body


@pytest.mark.parametrize("slots", [1, 2])
def test_logins_past_the_bound_get_503_server_busy_then_succeed(api, settings, blocking, slots):
    settings.PASSWORD_CHECKS_PER_PROCESS = slots
    user = MenteeFactory()
    blocking(api, slots, user.email)

    for email in (user.email, "nobody@example.edu"):  # the same answer for unknown emails
        _assert_busy(api().post(LOGIN, {"email": email, "password": DEFAULT_PASSWORD}))

    assert blocking.release() == [HTTPStatus.OK] * slots
    ok = api().post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD})
    assert ok.status_code == HTTPStatus.OK


def test_a_busy_login_does_not_count_as_a_failed_sign_in(api, settings, blocking):
    settings.PASSWORD_CHECKS_PER_PROCESS = 1
    settings.LOGIN_FAILURES_PER_ACCOUNT = "1/15m"  # one counted failure would lock
    user = MenteeFactory()
    blocking(api, 1, "someone-else@example.edu", "not-the-password-1")

    _assert_busy(api().post(LOGIN, {"email": user.email, "password": "not-the-password-1"}))

    assert blocking.release() == [HTTPStatus.UNAUTHORIZED]
    ok = api().post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD})
    assert ok.status_code == HTTPStatus.OK


def test_a_busy_registration_creates_nothing(api, settings, blocking):
    settings.PASSWORD_CHECKS_PER_PROCESS = 1
    user = MenteeFactory()
    body = {"email": "new@example.edu", "password": "a-long-passphrase-2", "role": "MENTEE"}
    blocking(api, 1, user.email)

    _assert_busy(api().post(REGISTER, body))
    assert not User.objects.filter(email="new@example.edu").exists()

    assert blocking.release() == [HTTPStatus.OK]
    assert api().post(REGISTER, body).status_code == HTTPStatus.CREATED


def test_the_bound_is_per_process(api, settings, blocking):
    """A worker forked while its parent's slots are all taken has its own, free."""
    settings.PASSWORD_CHECKS_PER_PROCESS = 1
    user = MenteeFactory()
    blocking(api, 1, user.email)
    with pytest.raises(ServerBusyError):
        with password_gate.slot():
            pass

    pid = os.fork()
    if pid == 0:  # the child: only the gate, then out without running pytest's exit code
        code = 1
        try:
            with password_gate.slot():
                code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)

    assert os.waitstatus_to_exitcode(status) == 0
    assert blocking.release() == [HTTPStatus.OK]
