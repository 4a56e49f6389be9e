"""Plain dict builders for chat payloads."""

from chat.models import Message
from users.serializers import iso


def message_to_json(message: Message) -> dict:
    return {
        "id": str(message.pk),
        "sender": message.sender,
        "recipient": message.recipient,
        "body": message.body,
        "created_at": iso(message.created_at),
        "read": message.read_at is not None,
    }
