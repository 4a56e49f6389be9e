"""The daily digest of unread chat messages (docs/api.md "Notifications").

At most one digest a day per user: none if one went out in the last 24 hours (and a unique
outbox key per user and day stops two senders racing), none if nothing arrived since the
previous digest, and only messages unread for an hour count (a conversation going on right
now is not digest material). "Unread" is the read marker POST /chat/read/ sets (read_at).
Runs from the sender loop (notifications.signals.outbox_tick) or `manage.py send_digests`.
"""

from datetime import timedelta

from django.db.models import Count, Max
from django.utils import timezone

from chat.models import Message
from notifications import outbox
from users.models import User

KIND = "chat_digest"
PERIOD = timedelta(days=1)
GRACE = timedelta(hours=1)


def _unread_by_recipient(*, before) -> dict[str, list[dict]]:
    rows = (
        Message.objects.filter(read_at=None, created_at__lte=before)
        .values("recipient", "sender")
        .annotate(count=Count("pk"), newest=Max("created_at"))
    )
    found: dict[str, list[dict]] = {}
    for row in rows:
        found.setdefault(row["recipient"], []).append(row)
    return found


def send_digests(*, now=None) -> int:
    """Write a digest to every user due one; returns how many were written."""
    now = now or timezone.now()
    unread = _unread_by_recipient(before=now - GRACE)
    if not unread:
        return 0
    senders = {row["sender"] for rows in unread.values() for row in rows}
    users = {u.email: u for u in User.objects.filter(email__in=list(senders | set(unread)))}
    written = 0
    for email, rows in sorted(unread.items()):
        recipient = users.get(email)
        if recipient is None or not recipient.is_active or not recipient.wants_notification(KIND):
            continue
        previous = outbox.latest(kind=KIND, to=email)
        if previous is not None and (
            previous.created_at > now - PERIOD
            or max(row["newest"] for row in rows) <= previous.created_at
        ):
            continue
        listed = [
            {
                "email": row["sender"],
                "name": users[row["sender"]].full_name if row["sender"] in users else row["sender"],
                "count": row["count"],
            }
            for row in sorted(rows, key=lambda r: r["sender"])
        ]
        mail = outbox.enqueue(
            kind=KIND,
            to=email,
            context={
                "name": recipient.firstName,
                "senders": listed,
                "total": sum(row["count"] for row in rows),
            },
            dedupe_key=f"{KIND}:{email}:{now.date().isoformat()}",
            now=now,
        )
        written += mail is not None
    return written
