"""A sender process SIGKILLed after a mail went out but before it was marked sent: after a
restart no mail is sent twice (the one in doubt becomes unknown, for an admin to resend).

The sender is `manage.py send_emails` on the same embedded MongoDB and database as this test,
with RecordingBackend, which records each send in a file and blocks after the second.
"""

import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from notifications import outbox, sender
from notifications.models import MailStatus, OutboxMail

pytestmark = pytest.mark.django_db(transaction=True)
REPO = Path(__file__).resolve().parents[2]
RECORDING = "notifications.tests.backends.RecordingBackend"


def _wait_for(condition, deadline: float, what: str) -> None:
    end = time.monotonic() + deadline
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def _recorded(path: Path) -> list[str]:
    if not path.exists():
        return []
    return [json.loads(line)["message_id"] for line in path.read_text().splitlines() if line]


def test_sigkill_between_send_and_mark_sends_nothing_twice(tmp_path, settings, monkeypatch):
    record = tmp_path / "sent.jsonl"
    mails = [
        outbox.enqueue(kind="matched", to=f"p{n}@example.edu", context={"other_name": "X"})
        for n in range(3)
    ]
    # Distinct due times fix the order in which the sender takes them.
    start = timezone.now() - timedelta(minutes=5)
    for n, queued in enumerate(mails):
        OutboxMail.objects.filter(pk=queued.pk).update(next_attempt_at=start + timedelta(seconds=n))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "MONGODB_NAME": connection.settings_dict["NAME"],
        "EMAIL_BACKEND": RECORDING,
        "MAIL_RECORD_FILE": str(record),
        "MAIL_BLOCK_AT": "2",
        "OUTBOX_LEASE_SECONDS": "300",
        "LOG_LEVEL": "WARNING",
    }
    log = (tmp_path / "sender.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "manage.py", "send_emails", "--poll-seconds", "1"],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for(lambda: len(_recorded(record)) == 2, 90.0, "the sender to send two mails")
        process.kill()  # SIGKILL: the second mail went out, its "sent" was never written
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
        log.close()
    statuses = dict(OutboxMail.objects.values_list("message_id", "status"))
    assert [statuses[m.message_id] for m in mails] == [
        MailStatus.SENT,
        MailStatus.SENDING,
        MailStatus.PENDING,
    ]

    # Restart (here, in this process): the third goes out; the second is still leased.
    settings.EMAIL_BACKEND = RECORDING
    monkeypatch.setenv("MAIL_RECORD_FILE", str(record))
    monkeypatch.setenv("MAIL_BLOCK_AT", "0")
    assert sender.send_due()["sent"] == 1
    # Past the dead sender's lease: the second is marked unknown, not sent again.
    later = timezone.now() + timedelta(seconds=301)
    assert sender.send_due(now=later) == {"sent": 0, "retry": 0, "failed": 0, "unknown": 1}
    assert sender.send_due(now=later + timedelta(days=1))["sent"] == 0

    assert _recorded(record) == [m.message_id for m in mails]  # each exactly once
    statuses = dict(OutboxMail.objects.values_list("message_id", "status"))
    assert [statuses[m.message_id] for m in mails] == [
        MailStatus.SENT,
        MailStatus.UNKNOWN,
        MailStatus.SENT,
    ]


def test_the_sender_started_as_make_run_does_stops_with_gunicorn(tmp_path):
    """`make run`: sh starts the sender in the background, then execs gunicorn (here a
    stand-in that waits). A SIGTERM to gunicorn alone stops the sender too."""
    pid_file = tmp_path / "sender.pid"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "MONGODB_NAME": connection.settings_dict["NAME"],
        "LOG_LEVEL": "WARNING",
    }
    script = (
        f"{{ {sys.executable} manage.py send_emails --exit-with-parent & }} && "
        f"echo $! > {pid_file} && "
        f'exec {sys.executable} -c "import time; time.sleep(120)"'
    )
    log_path = tmp_path / "sender.log"
    log = log_path.open("w")
    web = subprocess.Popen(
        ["sh", "-c", script], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        _wait_for(lambda: pid_file.exists() and pid_file.read_text().strip(), 30.0, "the pid")
        sender_pid = int(pid_file.read_text())
        _wait_for(lambda: "Sending mails" in log_path.read_text(), 60.0, "the sender's loop")
        web.terminate()
        web.wait(timeout=30)
        _wait_for(lambda: not _alive(sender_pid), 60.0, "the sender to stop")
    finally:
        if web.poll() is None:
            web.kill()
            web.wait(timeout=30)
        log.close()
    assert "Sender stopped." in log_path.read_text()


def _alive(pid: int) -> bool:
    # The sender is our grandchild: once re-parented and exited, init reaps it.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except OSError:
        return False
    return state != "Z"
