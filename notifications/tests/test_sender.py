from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from notifications import outbox, sender
from notifications.admin import resend
from notifications.models import MailStatus, OutboxMail
from notifications.tests.backends import FailingBackend

pytestmark = pytest.mark.django_db

FAILING = "notifications.tests.backends.FailingBackend"


def _mail(to="ada@example.edu") -> OutboxMail:
    return outbox.enqueue(kind="matched", to=to, context={"name": "Ada", "other_name": "Bob"})


def test_enqueue_renders_text_and_html_and_sends_nothing():
    queued = _mail()

    stored = OutboxMail.objects.get(pk=queued.pk)
    assert stored.status == MailStatus.PENDING
    assert stored.subject == "You have been matched with Bob"
    assert "Hello Ada," in stored.body_text and "Bob" in stored.body_text
    assert "<strong>Bob</strong>" in stored.body_html
    assert stored.message_id.startswith("<") and stored.message_id.endswith(">")
    assert mail.outbox == []


def test_plain_text_is_not_html_escaped_and_html_is():
    queued = outbox.enqueue(
        kind="matched", to="a@example.edu", context={"other_name": "Tom & <Jo>"}
    )

    assert "Tom & <Jo>" in queued.body_text
    assert queued.subject == "You have been matched with Tom & <Jo>"
    assert "Tom &amp; &lt;Jo&gt;" in queued.body_html


def test_enqueue_with_a_taken_dedupe_key_writes_nothing():
    first = outbox.enqueue(kind="matched", to="a@example.edu", context={}, dedupe_key="k1")
    second = outbox.enqueue(kind="matched", to="a@example.edu", context={}, dedupe_key="k1")

    assert first is not None and second is None
    assert OutboxMail.objects.count() == 1


def test_send_due_sends_with_the_stored_message_id_and_marks_sent():
    queued = _mail()

    counts = sender.send_due()

    assert counts == {"sent": 1, "retry": 0, "failed": 0, "unknown": 0}
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["ada@example.edu"]
    assert sent.extra_headers["Message-ID"] == queued.message_id
    assert sent.alternatives[0][1] == "text/html"
    stored = OutboxMail.objects.get(pk=queued.pk)
    assert (stored.status, stored.attempts) == (MailStatus.SENT, 1)
    assert stored.sent_at is not None
    assert sender.send_due()["sent"] == 0  # never twice
    assert len(mail.outbox) == 1


def test_a_failed_try_is_retried_with_exponential_backoff_then_failed(settings):
    settings.EMAIL_BACKEND = FAILING
    settings.OUTBOX_RETRY_BASE_SECONDS = 10
    settings.OUTBOX_RETRY_MAX_SECONDS = 25
    settings.OUTBOX_MAX_ATTEMPTS = 4
    queued = _mail()
    now = timezone.now()
    waits = []
    for _ in range(3):
        assert sender.send_due(now=now)["retry"] == 1
        stored = OutboxMail.objects.get(pk=queued.pk)
        assert stored.status == MailStatus.PENDING
        assert "SMTPServerDisconnected" in stored.last_error
        # Not due before its backoff has passed (the fake clock `now` decides).
        assert sender.send_due(now=now)["retry"] == 0
        waits.append(stored.next_attempt_at - now)
        now = stored.next_attempt_at

    # 10 s, doubled, then capped at OUTBOX_RETRY_MAX_SECONDS (MongoDB keeps milliseconds).
    assert [round(w.total_seconds(), 1) for w in waits] == [10.0, 20.0, 25.0]
    assert sender.send_due(now=now)["failed"] == 1
    stored = OutboxMail.objects.get(pk=queued.pk)
    assert (stored.status, stored.attempts) == (MailStatus.FAILED, 4)
    assert sender.send_due(now=now + timedelta(days=1))["failed"] == 0


def test_retry_delay_doubles_and_is_capped(settings):
    settings.OUTBOX_RETRY_BASE_SECONDS = 30
    settings.OUTBOX_RETRY_MAX_SECONDS = 3600

    assert [sender.retry_delay(n).total_seconds() for n in (1, 2, 3, 8, 20)] == [
        30,
        60,
        120,
        3600,
        3600,
    ]


def test_a_failing_mail_server_does_not_touch_a_request(settings, api, mentee):
    """The request only writes the outbox: with a mail server that refuses everything, a
    password reset still answers 202 and nothing is sent from the request."""
    settings.EMAIL_BACKEND = FAILING
    FailingBackend.calls = 0

    response = api().post("/auth/password-reset/", {"email": mentee.email})

    assert response.status_code == 202
    assert FailingBackend.calls == 0
    assert OutboxMail.objects.filter(to=mentee.email, status=MailStatus.PENDING).count() == 1


def test_a_mail_claimed_by_a_dead_sender_becomes_unknown_and_is_not_resent(settings):
    settings.OUTBOX_LEASE_SECONDS = 60
    queued = _mail()
    now = timezone.now()
    mail_row = OutboxMail.objects.get(pk=queued.pk)
    assert sender._claim(mail_row, sender="dead-sender", now=now)  # then the process died

    assert sender.send_due(now=now + timedelta(seconds=30))["unknown"] == 0  # lease running
    counts = sender.send_due(now=now + timedelta(seconds=61))

    assert counts == {"sent": 0, "retry": 0, "failed": 0, "unknown": 1}
    assert OutboxMail.objects.get(pk=queued.pk).status == MailStatus.UNKNOWN
    assert mail.outbox == []
    # An admin resends it by hand: queued again under the same Message-ID.
    assert resend(pks=[queued.pk]) == 1
    sender.send_due(now=now + timedelta(seconds=62))
    assert [m.extra_headers["Message-ID"] for m in mail.outbox] == [queued.message_id]


def test_resend_leaves_sent_and_pending_mails_alone():
    sent, pending = _mail(), _mail("b@example.edu")
    OutboxMail.objects.filter(pk=sent.pk).update(status=MailStatus.SENT)

    assert resend(pks=[sent.pk, pending.pk]) == 0


def test_two_senders_never_claim_the_same_mail():
    queued = OutboxMail.objects.get(pk=_mail().pk)
    stale_copy = OutboxMail.objects.get(pk=queued.pk)
    now = timezone.now()

    assert sender._claim(queued, sender="first", now=now)
    assert not sender._claim(stale_copy, sender="second", now=now)
    assert OutboxMail.objects.get(pk=queued.pk).claimed_by == "first"


def test_send_emails_once_command_sends_and_reports(settings):
    from io import StringIO

    from django.core.management import call_command

    _mail()
    out = StringIO()

    call_command("send_emails", "--once", stdout=out)

    assert out.getvalue().strip() == "1 sent, 0 retry, 0 failed, 0 unknown"
    assert len(mail.outbox) == 1


def test_the_loop_survives_a_database_outage_and_then_sends(monkeypatch):
    import threading

    from django.db import DatabaseError

    _mail()
    real, calls = sender.send_due, []

    def flaky(**kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise DatabaseError("no server")
        counts = real(**kwargs)
        stop.set()
        return counts

    stop = threading.Event()
    monkeypatch.setattr(sender, "send_due", flaky)

    sender.run(stop=stop, poll_seconds=0.01)

    assert len(calls) == 2
    assert len(mail.outbox) == 1
