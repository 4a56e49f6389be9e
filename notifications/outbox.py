"""Writing mails to the outbox, in the request that causes them (docs/operations.md "Email").

A mail is rendered when its event happens (plain text and HTML templates per kind, under
templates/notifications/<kind>.{subject.txt,txt,html}) and inserted as one document; the
request never talks to a mail server. The sender (notifications/sender.py) delivers it.
"""

import uuid

from django.conf import settings
from django.db import IntegrityError
from django.template.loader import render_to_string
from django.utils import timezone

from notifications.models import OutboxMail


def _message_id() -> str:
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip("> ") or "localhost"
    return f"<{uuid.uuid4().hex}@{domain}>"


def render(kind: str, context: dict) -> tuple[str, str, str]:
    """(subject, plain text, HTML) of a kind of mail."""
    base = f"notifications/{kind}"
    subject = " ".join(render_to_string(f"{base}.subject.txt", context).split())
    return (
        subject,
        render_to_string(f"{base}.txt", context),
        render_to_string(f"{base}.html", context),
    )


def build(
    *, kind: str, to: str, context: dict, dedupe_key: str | None = None, now=None
) -> OutboxMail:
    """A rendered mail (created and due at now), not yet written."""
    now = now or timezone.now()
    subject, text, html = render(kind, {**context, "to": to})
    message_id = _message_id()
    return OutboxMail(
        kind=kind,
        to=to,
        subject=subject[:200],
        body_text=text,
        body_html=html,
        message_id=message_id,
        dedupe_key=dedupe_key or message_id,
        created_at=now,
        next_attempt_at=now,
    )


def enqueue(
    *, kind: str, to: str, context: dict, dedupe_key: str | None = None, now=None
) -> OutboxMail | None:
    """Render a mail and write it to the outbox; the sender delivers it.

    With dedupe_key, a mail whose key is already in the outbox is not written again
    (returns None): the at-most-once mails, e.g. a day's digest.
    """
    mail = build(kind=kind, to=to, context=context, dedupe_key=dedupe_key, now=now)
    try:
        mail.save(force_insert=True)
    except IntegrityError:
        if dedupe_key is None:
            raise
        return None
    return mail


def enqueue_all(mails: list[OutboxMail]) -> None:
    """Write built mails (without dedupe keys) in one round trip."""
    if mails:
        OutboxMail.objects.bulk_create(mails)


def latest(*, kind: str, to: str) -> OutboxMail | None:
    """The newest mail of this kind to this address, whatever its status."""
    return OutboxMail.objects.filter(kind=kind, to=to).order_by("-created_at").first()
