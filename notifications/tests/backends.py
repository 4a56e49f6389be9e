"""Mail backends for tests: one that fails, one that records every send in a file (so a
sender in another process can be checked) and can block after a send (a crash point)."""

import json
import os
import smtplib
import time
from pathlib import Path

from django.core.mail.backends.base import BaseEmailBackend


class FailingBackend(BaseEmailBackend):
    """Refuses every message, as an SMTP server that is down would."""

    calls = 0

    def send_messages(self, email_messages):
        FailingBackend.calls += 1
        raise smtplib.SMTPServerDisconnected("connection unexpectedly closed")


class RecordingBackend(BaseEmailBackend):
    """Appends {message_id, to, subject} per message to $MAIL_RECORD_FILE. With
    $MAIL_BLOCK_AT=n it blocks (up to 120 s) right after recording the n-th message of its
    process: the mail went out but the sender has not yet marked it."""

    sent_in_process = 0

    def send_messages(self, email_messages):
        record = Path(os.environ["MAIL_RECORD_FILE"])
        for message in email_messages:
            line = {
                "message_id": message.extra_headers["Message-ID"],
                "to": message.to,
                "subject": message.subject,
            }
            with record.open("a") as out:
                out.write(json.dumps(line) + "\n")
                out.flush()
                os.fsync(out.fileno())
            RecordingBackend.sent_in_process += 1
            if RecordingBackend.sent_in_process == int(os.environ.get("MAIL_BLOCK_AT", "0")):
                end = time.monotonic() + 120
                while time.monotonic() < end:  # until the test SIGKILLs this process
                    time.sleep(0.5)
        return len(email_messages)
