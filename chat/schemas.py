"""Request and response schemas of the chat endpoints (API.md "Chat")."""

from pydantic import Field

from core.schemas import Out, Strict


class SendIn(Strict):
    to: str
    body: str


class ReadIn(Strict):
    with_: str = Field(alias="with")


class MessagesQuery(Strict):
    with_: str = Field(alias="with")
    before: str = Field(None, description="next_cursor of the previous page")
    # Digits, not an integer: a sign, spaces or non-ASCII digits are invalid_field; the
    # range (1–100) is chat.services' validation_failed, whatever the number of digits.
    limit: str = Field(None, pattern=r"^[0-9]+$", description="1–100, default 50")


class ChatMessage(Out):
    """chat.serializers.message_to_json."""

    id: str
    sender: str
    recipient: str
    body: str
    created_at: str | None
    read: bool


class MessageEnvelope(Out):
    message: ChatMessage


class MessagePage(Out):
    messages: list[ChatMessage]
    next_cursor: str | None


class Conversation(Out):
    with_: str = Field(alias="with")
    name: str
    last_message: ChatMessage | None
    unread: int


class ConversationList(Out):
    conversations: list[Conversation]


class Updated(Out):
    updated: int
