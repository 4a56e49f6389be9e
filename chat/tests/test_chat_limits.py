"""Chat sends are limited per user (CHAT_SENDS_PER_USER)."""

from http import HTTPStatus

import pytest

from chat.models import Message
from matching import services as matching
from users.tests.factories import MenteeFactory, MentorFactory

pytestmark = pytest.mark.django_db

MESSAGES = "/chat/messages/"


def test_chat_sends_per_user(api, settings):
    settings.CHAT_SENDS_PER_USER = "3/m"
    mentee, mentor = MenteeFactory(), MentorFactory()
    matching.select_mentor(mentee=mentee, mentor_email=mentor.email)
    for n in range(3):
        sent = api(mentee).post(MESSAGES, {"to": mentor.email, "body": f"m{n}"})
        assert sent.status_code == HTTPStatus.CREATED

    refused = api(mentee).post(MESSAGES, {"to": mentor.email, "body": "one too many"})

    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert refused.json() == {
        "error": "Too many attempts; try again later.",
        "code": "rate_limited",
    }
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert Message.objects.count() == 3
    reply = api(mentor).post(MESSAGES, {"to": mentee.email, "body": "hi"})
    assert reply.status_code == HTTPStatus.CREATED
    # The limit counts sends, not reads, and not the other side's sends.
    page = api(mentee).get(f"{MESSAGES}?with={mentor.email}")
    assert [m["body"] for m in page.json()["messages"]] == ["hi", "m2", "m1", "m0"]
