"""A real server SIGKILLed while concurrent selects sit between their two steps, then repair.

The server is `manage.py runserver --noreload` (threaded) on loopback, on the same embedded
MongoDB and database as this test. MATCH_FAULT_PAUSE_SECONDS makes every select pause after
claiming the mentee and before claiming the seat, so the kill lands between the steps.
"""

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from matching.models import MatchIntent
from matching.tests.test_repair import _inconsistent_pairs
from users import tokens
from users.models import User
from users.tests.factories import MenteeFactory, MentorFactory

pytestmark = pytest.mark.django_db(transaction=True)
REPO = Path(__file__).resolve().parents[2]
START_DEADLINE = 90.0
SELECTS = 8


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(condition, deadline: float, what: str) -> None:
    end = time.monotonic() + deadline
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def _select(url: str, access: str, mentor_email: str) -> None:
    request = urllib.request.Request(
        url,
        data=json.dumps({"mentor_email": mentor_email}).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {access}"},
    )
    try:
        urllib.request.urlopen(request, timeout=120).close()
    except OSError:  # the server was killed under the request
        pass


@pytest.fixture
def server(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "MONGODB_NAME": connection.settings_dict["NAME"],
        "MAX_MENTEES": "4",
        "MATCH_FAULT_PAUSE_SECONDS": "120",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
        "REQUEST_LOG_LEVEL": "WARNING",
    }
    log = (tmp_path / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_for(lambda: _answers(f"{base}/health/"), START_DEADLINE, "the server")
        yield process, base
    finally:
        process.kill()
        process.wait(timeout=30)
        log.close()


def test_sigkill_during_concurrent_selects_is_repaired(server, settings):
    settings.MAX_MENTEES = 4
    process, base = server
    mentor = MentorFactory()
    settled = MenteeFactory(isMatched=True, matchedMentorEmail=mentor.email)
    User.objects.filter(pk=mentor.pk).update(current_mentees=[settled.email])
    mentees = [MenteeFactory() for _ in range(SELECTS)]
    threads = [
        threading.Thread(
            target=_select,
            args=(f"{base}/matching/select/", tokens.issue_tokens(m)["access"], mentor.email),
        )
        for m in mentees
    ]
    for thread in threads:
        thread.start()

    emails = [m.email for m in mentees]
    claimed = User.objects.filter(email__in=emails, isMatched=True)
    _wait_for(lambda: claimed.count() == SELECTS, 60.0, "every select to claim its mentee")
    process.kill()
    process.wait(timeout=30)
    for thread in threads:
        thread.join(timeout=30)

    before = _inconsistent_pairs()
    out = StringIO()
    call_command("repair_matches", "--ignore-lease", stdout=out)
    after = _inconsistent_pairs()

    assert len([p for p in before if not p.startswith("intent")]) == SELECTS
    assert MatchIntent.objects.count() == 0
    assert after == []
    assert User.objects.get(pk=mentor.pk).current_mentees == [settled.email]
    assert User.objects.filter(email__in=emails, isMatched=True).count() == 0
    assert out.getvalue().splitlines()[-1] == f"Matches consistent: {2 * SELECTS} change(s) made."
