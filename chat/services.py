"""Chat rules: only current matches talk; pages are keyset-paginated newest first."""

import base64
import binascii
from datetime import UTC, datetime

from bson import CodecOptions, ObjectId
from bson.errors import InvalidId
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from chat.errors import InvalidCursorError, NotMatchedError
from chat.models import Message, pair_key
from core.errors import ValidationFailedError
from users.models import Role, User, normalize_email
from users.selectors import get_users_by_email

BODY_MAX = Message._meta.get_field("body").max_length
DEFAULT_LIMIT = 50
MAX_LIMIT = 100
# Stored datetimes read aware, in UTC, as the ORM gives them (pymongo's default is naive).
AWARE_UTC = CodecOptions(tz_aware=True, tzinfo=UTC)


def message_documents():
    """The messages collection for the raw reads (pages, the conversation list): documents
    for chat.serializers.stored_message_to_json, their datetimes aware in UTC."""
    return connection.get_collection(Message._meta.db_table, codec_options=AWARE_UTC)


def counterparts(user: User) -> list[str]:
    """The emails a user may chat with: their mentor, or their mentees."""
    if user.role == Role.MENTEE:
        return [user.matchedMentorEmail] if user.isMatched and user.matchedMentorEmail else []
    if user.role == Role.MENTOR:
        return list(user.current_mentees)
    return []


def require_match(user: User, other: str) -> str:
    """The normalised counterpart email; raises NotMatchedError unless they are matched."""
    other = normalize_email(other)
    if other not in counterparts(user):
        raise NotMatchedError()
    return other


def send_message(*, sender: User, to: str, body: str) -> Message:
    """Raises NotMatchedError, ValidationFailedError (body empty or over 4,000 characters)."""
    recipient = require_match(sender, to)
    body = body.strip()
    if not body:
        raise ValidationFailedError("The message is empty.")
    if len(body) > BODY_MAX:
        raise ValidationFailedError(f"A message is at most {BODY_MAX} characters.")
    return Message.objects.create(sender=sender.email, recipient=recipient, body=body)


def encode_cursor(created_at: datetime, pk: ObjectId) -> str:
    """The cursor of the page that ends with the message of this (aware) time and id."""
    millis = int(created_at.timestamp() * 1000)
    return base64.urlsafe_b64encode(f"{millis}:{pk}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, ObjectId]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        millis, oid = base64.urlsafe_b64decode(padded.encode()).decode().split(":")
        return datetime.fromtimestamp(int(millis) / 1000, tz=UTC), ObjectId(oid)
    # fromtimestamp() raises OSError, not ValueError, past the platform's time_t range.
    except (ValueError, InvalidId, binascii.Error, UnicodeDecodeError, OverflowError, OSError):
        raise InvalidCursorError() from None


def list_messages(
    *, user: User, other: str, before: str | None, limit: int
) -> tuple[list[dict], str | None]:
    """A page of the conversation, newest first, as stored documents (for
    chat.serializers.stored_message_to_json), and the cursor of the next (older) page.

    Keyset on (created_at, id): messages arriving while a client pages are newer than its
    cursor, so pages never repeat or skip a message.
    """
    other = require_match(user, other)
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailedError(f"limit must be between 1 and {MAX_LIMIT}.")
    conversation = {"pair": pair_key(user.email, other)}
    if before:
        at, pk = decode_cursor(before)
        older = {"$or": [{"created_at": {"$lt": at}}, {"created_at": at, "_id": {"$lt": pk}}]}
        conversation = {"$and": [conversation, older]}
    # A find, not the ORM's aggregation: the embedded server answers it faster. One equality
    # on the pair key, in the msg_conversation index's order (docs/architecture.md "Chat").
    found = (
        message_documents()
        .find(conversation)
        .sort([("created_at", -1), ("_id", -1)])
        .limit(limit + 1)
    )
    page = list(found)
    more = len(page) > limit
    page = page[:limit]
    return page, (encode_cursor(page[-1]["created_at"], page[-1]["_id"]) if more else None)


def mark_read(*, user: User, other: str) -> int:
    """Mark every unread message from `other` to the user as read; returns how many."""
    other = require_match(user, other)
    return Message.objects.filter(sender=other, recipient=user.email, read_at=None).update(
        read_at=timezone.now()
    )


def conversations(*, user: User) -> list[dict]:
    """Each counterpart with their name, last message (a stored document, for
    chat.serializers.stored_message_to_json) and unread count: two queries (counterpart
    users; one aggregation for the last messages and the unread counts) whatever the number
    of pairs."""
    others = counterparts(user)
    if not others:
        return []
    people = get_users_by_email(others)
    me = user.email
    # One group per direction of each pair, keyed by plain field paths: the embedded server
    # evaluates expressions per message at a high cost (a $cond naming the counterpart as
    # the key and an $and for "unread to me" cost this endpoint about 17 % more database
    # CPU, docs/architecture.md "Chat"). $cond on read_at alone: a missing or null read_at
    # is falsy, so unread, as the ORM's read_at=None reads it.
    groups = message_documents().aggregate(
        [
            {"$match": {"pair": {"$in": [pair_key(me, other) for other in others]}}},
            {"$sort": {"created_at": -1, "_id": -1}},
            {
                "$group": {
                    "_id": {"sender": "$sender", "recipient": "$recipient"},
                    "last": {"$first": "$$ROOT"},
                    "unread": {"$sum": {"$cond": ["$read_at", 0, 1]}},
                }
            },
        ]
    )
    last: dict[str, dict] = {}
    unread: dict[str, int] = {}
    for group in groups:
        sender, recipient = group["_id"]["sender"], group["_id"]["recipient"]
        other = recipient if sender == me else sender
        newest = group["last"]
        if other not in last or _newer(newest, last[other]):
            last[other] = newest
        if recipient == me:
            unread[other] = group["unread"]
    return [
        {
            "with": email,
            "user": people.get(email),
            "last_message": last.get(email),
            "unread": unread.get(email, 0),
        }
        for email in others
    ]


def _newer(a: dict, b: dict) -> bool:
    """Whether message document a comes after b in the conversation's order."""
    return (a["created_at"], a["_id"]) > (b["created_at"], b["_id"])


def delete_messages_between(*, first: str, second: str) -> int:
    """Hard-delete every message exchanged by two users; returns how many."""
    deleted, _ = Message.objects.filter(pair=pair_key(first, second)).delete()
    return deleted


def delete_messages_of(*, email: str) -> int:
    """Hard-delete every message a user sent or received."""
    deleted, _ = Message.objects.filter(Q(sender=email) | Q(recipient=email)).delete()
    return deleted
