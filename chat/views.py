"""Chat endpoints (API.md "Chat")."""

from http import HTTPStatus

from django.conf import settings
from django.http import JsonResponse

from chat import services
from chat.serializers import message_to_json
from core import ratelimit
from core.errors import InvalidFieldError, MissingFieldError, ValidationFailedError
from core.http import json_endpoint, query_param, read_json


@json_endpoint("GET")
def conversations(request):
    rows = services.conversations(user=request.user)
    payload = [
        {
            "with": row["with"],
            "name": row["user"].full_name if row["user"] else "Not provided",
            "last_message": message_to_json(row["last_message"]) if row["last_message"] else None,
            "unread": row["unread"],
        }
        for row in rows
    ]
    return JsonResponse({"conversations": payload})


def _limit(request) -> int:
    raw = query_param(request, "limit")
    if raw is None:
        return services.DEFAULT_LIMIT
    # ASCII digits only: str.isdigit() is also true of "²" (int() refuses it) and "٣".
    if not (raw.isascii() and raw.isdigit()):
        raise InvalidFieldError("limit must be an integer.")
    digits = raw.lstrip("0") or "0"
    # int() refuses over 4,300 digits (leading zeros count); any such number is out of range.
    if len(digits) > len(str(services.MAX_LIMIT)):
        raise ValidationFailedError(f"limit must be between 1 and {services.MAX_LIMIT}.")
    return int(digits)


@json_endpoint("GET", "POST")
def messages(request):
    if request.method == "POST":
        body = read_json(request, required={"to": str, "body": str})
        ratelimit.limit("chat-send", str(request.user.pk), settings.CHAT_SENDS_PER_USER)
        message = services.send_message(sender=request.user, to=body["to"], body=body["body"])
        return JsonResponse({"message": message_to_json(message)}, status=HTTPStatus.CREATED)
    other = query_param(request, "with")
    if not other:
        raise MissingFieldError("The query parameter 'with' is required.")
    page, cursor = services.list_messages(
        user=request.user, other=other, before=query_param(request, "before"), limit=_limit(request)
    )
    return JsonResponse({"messages": [message_to_json(m) for m in page], "next_cursor": cursor})


@json_endpoint("POST")
def read(request):
    body = read_json(request, required={"with": str})
    return JsonResponse({"updated": services.mark_read(user=request.user, other=body["with"])})
