"""Chat endpoints (API.md "Chat")."""

from django.conf import settings
from ninja import Query, Router

from chat import services
from chat.errors import InvalidCursorError, NotMatchedError
from chat.schemas import (
    ConversationList,
    MessageEnvelope,
    MessagePage,
    MessagesQuery,
    ReadIn,
    SendIn,
    Updated,
)
from chat.serializers import message_to_json, stored_message_to_json
from core import ratelimit
from core.api import JsonBody, raises, validated_json
from core.errors import MissingFieldError, RateLimitedError, ValidationFailedError

router = Router(tags=["chat"], by_alias=True)  # "with" is a Python keyword: with_ in code


@router.get("/conversations/", response=ConversationList, url_name="conversations")
def conversations(request):
    rows = services.conversations(user=request.auth)
    payload = [
        {
            "with": row["with"],
            "name": row["user"].full_name if row["user"] else "Not provided",
            "last_message": (
                stored_message_to_json(row["last_message"]) if row["last_message"] else None
            ),
            "unread": row["unread"],
        }
        for row in rows
    ]
    # Every conversation page view (and every poll of it): rendered by validated_json.
    return validated_json(ConversationList, {"conversations": payload}, by_alias=True)


def _limit(raw: str | None) -> int:
    if raw is None:
        return services.DEFAULT_LIMIT
    digits = raw.lstrip("0") or "0"
    # int() refuses over 4,300 digits (leading zeros count); any such number is out of range.
    if len(digits) > len(str(services.MAX_LIMIT)):
        raise ValidationFailedError(f"limit must be between 1 and {services.MAX_LIMIT}.")
    return int(digits)


@router.get("/messages/", response=MessagePage, url_name="messages")
@raises(ValidationFailedError, InvalidCursorError, NotMatchedError)
def list_messages(request, query: Query[MessagesQuery]):
    if not query.with_:
        raise MissingFieldError("The query parameter 'with' is required.")
    page, cursor = services.list_messages(
        user=request.auth, other=query.with_, before=query.before, limit=_limit(query.limit)
    )
    payload = {"messages": [stored_message_to_json(m) for m in page], "next_cursor": cursor}
    return validated_json(MessagePage, payload, by_alias=True)


@router.post("/messages/", response={201: MessageEnvelope}, url_name="messages")
@raises(ValidationFailedError, NotMatchedError, RateLimitedError)
def send_message(request, body: JsonBody[SendIn]):
    ratelimit.limit("chat-send", str(request.auth.pk), settings.CHAT_SENDS_PER_USER)
    message = services.send_message(sender=request.auth, to=body.to, body=body.body)
    return {"message": message_to_json(message)}


@router.post("/read/", response=Updated, url_name="read")
@raises(NotMatchedError)
def read(request, body: JsonBody[ReadIn]):
    return {"updated": services.mark_read(user=request.auth, other=body.with_)}
