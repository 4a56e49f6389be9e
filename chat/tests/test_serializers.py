"""A page of messages is rendered from the stored documents, a sent message from its model:
the two must give the same payload for the same message."""

import time
from datetime import UTC, datetime

import pytest

from chat.models import Message
from chat.serializers import message_to_json, stored_message_to_json
from chat.services import decode_cursor, encode_cursor, message_documents


def _stored(message: Message) -> dict:
    """The message's document as the chat's raw reads get it."""
    return message_documents().find_one({"_id": message.pk})


def test_a_stored_message_renders_as_its_model_does():
    # Microseconds past the millisecond: both keep the stored milliseconds only.
    at = datetime(2026, 3, 1, 9, 30, 5, 123456, tzinfo=UTC)
    unread = Message.objects.create(sender="a@x.edu", recipient="b@x.edu", body="hé", created_at=at)
    read = Message.objects.create(
        sender="b@x.edu", recipient="a@x.edu", body="hi", created_at=at, read_at=at
    )

    for message in (unread, read):
        from_model = message_to_json(Message.objects.get(pk=message.pk))
        assert stored_message_to_json(_stored(message)) == from_model
    assert message_to_json(Message.objects.get(pk=unread.pk)) == {
        "id": str(unread.pk),
        "sender": "a@x.edu",
        "recipient": "b@x.edu",
        "body": "hé",
        "created_at": "2026-03-01T09:30:05.123Z",
        "read": False,
    }
    assert stored_message_to_json(_stored(read))["read"] is True


def test_a_stored_document_without_read_at_is_unread():
    message = Message.objects.create(sender="a@x.edu", recipient="b@x.edu", body="x")
    document = _stored(message)
    del document["read_at"]

    assert stored_message_to_json(document)["read"] is False


@pytest.fixture
def local_time_not_utc(monkeypatch):
    """The process's local time zone away from UTC, where a naive stored time would be read
    as local time, hours off (Django sets TZ to TIME_ZONE, UTC here)."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_a_cursor_is_the_same_from_the_document_and_from_the_model(local_time_not_utc):
    at = datetime(2026, 3, 1, 9, 30, 5, 123000, tzinfo=UTC)
    message = Message.objects.create(sender="a@x.edu", recipient="b@x.edu", body="x", created_at=at)
    document = _stored(message)

    cursor = encode_cursor(document["created_at"], document["_id"])

    assert cursor == encode_cursor(message.created_at, message.pk)
    assert decode_cursor(cursor) == (at, message.pk)
