"""Delivering the outbox (docs/operations.md "Email"): `python manage.py send_emails`.

Each mail is claimed before it is sent, by one conditional update (status pending → sending,
with a lease and the sender's id), so concurrent senders never take the same mail, and the
claim is durable before any byte goes to the mail server. Then it is sent through Django's
mail framework (EMAIL_BACKEND) and marked sent. A failed try is retried with exponential
backoff (OUTBOX_RETRY_BASE_SECONDS doubling, at most OUTBOX_RETRY_MAX_SECONDS) until
OUTBOX_MAX_ATTEMPTS, then the mail is failed.

Crash semantics: at most once. A sender killed between its claim and its "sent" leaves the
mail sending; once the lease has passed nobody can tell whether the server took it, so it
is marked unknown, never resent by itself. An admin resends it by hand (admin action); it
keeps its Message-ID, so a resend of a mail that did go out is recognisable as a duplicate.
"""

import logging
import os
import socket
import threading
import time
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import DatabaseError
from django.utils import timezone
from pymongo.errors import PyMongoError

from notifications.models import MailStatus, OutboxMail
from notifications.signals import outbox_tick

logger = logging.getLogger(__name__)


def sender_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def retry_delay(attempts: int) -> timedelta:
    """The wait after the attempts-th failed try: base × 2^(attempts-1), capped."""
    seconds = settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.OUTBOX_RETRY_MAX_SECONDS))


def expire_leases(*, now=None) -> int:
    """Mark mails whose sender's lease has passed unknown (at most once); returns how many."""
    now = now or timezone.now()
    count = OutboxMail.objects.filter(status=MailStatus.SENDING, lease_until__lt=now).update(
        status=MailStatus.UNKNOWN,
        last_error="The sender stopped while sending it; it may or may not have gone out.",
    )
    if count:
        logger.warning("%d mail(s) left by a stopped sender marked unknown", count)
    return count


def _claim(mail: OutboxMail, *, sender: str, now) -> bool:
    """Take a due mail for this sender: one conditional update, so exactly one sender wins."""
    claimed = OutboxMail.objects.filter(
        pk=mail.pk, status=MailStatus.PENDING, attempts=mail.attempts
    ).update(
        status=MailStatus.SENDING,
        attempts=mail.attempts + 1,
        # From the claim itself, not the pass's start: a batch of slow sends takes a while.
        lease_until=max(now, timezone.now()) + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS),
        claimed_by=sender,
    )
    if claimed:
        mail.attempts += 1
    return claimed == 1


def _deliver(mail: OutboxMail) -> None:
    message = EmailMultiAlternatives(
        subject=mail.subject,
        body=mail.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[mail.to],
        headers={"Message-ID": mail.message_id},
    )
    message.attach_alternative(mail.body_html, "text/html")
    message.send()


def _finish(mail: OutboxMail, *, sender: str, error: BaseException | None, now) -> str:
    """Record a try's outcome (backoff counted from the pass's clock, now); only the claiming
    sender's record counts."""
    mine = OutboxMail.objects.filter(
        pk=mail.pk, claimed_by=sender, status__in=[MailStatus.SENDING, MailStatus.UNKNOWN]
    )
    if error is None:
        # Also from unknown: a sender that outlived its lease knows the mail went out.
        mine.update(status=MailStatus.SENT, sent_at=timezone.now(), lease_until=None, last_error="")
        return MailStatus.SENT
    text = f"{type(error).__name__}: {error}"[:2000]
    if mail.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        mine.update(status=MailStatus.FAILED, lease_until=None, last_error=text)
        logger.error("mail %s to %s failed for good: %s", mail.pk, mail.to, text)
        return MailStatus.FAILED
    mine.update(
        status=MailStatus.PENDING,
        lease_until=None,
        next_attempt_at=now + retry_delay(mail.attempts),
        last_error=text,
    )
    logger.warning("mail %s to %s, try %d failed: %s", mail.pk, mail.to, mail.attempts, text)
    return MailStatus.PENDING


def send_due(*, now=None, sender: str | None = None, limit: int | None = None) -> dict:
    """One pass: expire stale leases, then claim and send the due mails (oldest due first).
    Returns counts by outcome: sent, retry, failed, unknown (leases expired)."""
    now = now or timezone.now()
    sender = sender or sender_id()
    counts = {"sent": 0, "retry": 0, "failed": 0, "unknown": expire_leases(now=now)}
    due = OutboxMail.objects.filter(status=MailStatus.PENDING, next_attempt_at__lte=now)
    batch = list(due.order_by("next_attempt_at", "pk")[: limit or settings.OUTBOX_BATCH_SIZE])
    for mail in batch:
        if not _claim(mail, sender=sender, now=now):
            continue  # another sender took it
        error = None
        try:
            _deliver(mail)
        except Exception as exc:  # noqa: BLE001 -- any backend failure is this try's failure
            error = exc
        outcome = _finish(mail, sender=sender, error=error, now=now)
        counts[{"sent": "sent", "pending": "retry", "failed": "failed"}[outcome]] += 1
    return counts


def tick(*, now=None) -> None:
    """The scheduled mails (outbox_tick receivers, e.g. the chat digest); a failing receiver
    is logged and does not stop the sender."""
    for receiver, result in outbox_tick.send_robust(sender=OutboxMail, now=now or timezone.now()):
        if isinstance(result, Exception):
            logger.error("outbox_tick receiver %s failed", receiver, exc_info=result)


def run(*, stop: threading.Event, poll_seconds: float, on_pass=None) -> None:
    """Send until stop is set: a pass every poll_seconds, ticks every OUTBOX_PERIODIC_SECONDS."""
    sender = sender_id()
    next_tick = 0.0
    while not stop.is_set():
        if time.monotonic() >= next_tick:
            tick()
            next_tick = time.monotonic() + settings.OUTBOX_PERIODIC_SECONDS
        try:
            counts = send_due(sender=sender)
        except (DatabaseError, PyMongoError) as exc:
            # The database is away: the sender waits for it rather than exiting (a mail it
            # had sent but not marked becomes unknown after its lease, never resent).
            logger.warning("outbox pass failed (%s): %s", type(exc).__name__, exc)
            stop.wait(poll_seconds)
            continue
        if on_pass is not None:
            on_pass(counts)
        # A full batch means more may be due: go again at once.
        if sum(counts[k] for k in ("sent", "retry", "failed")) < settings.OUTBOX_BATCH_SIZE:
            stop.wait(poll_seconds)
