"""The daily digest of unread chat messages (chat/notify.py)."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from chat import notify
from chat.models import Message
from notifications import sender
from notifications.models import OutboxMail
from users.models import User
from users.tests.factories import MenteeFactory, MentorFactory

pytestmark = pytest.mark.django_db


def _message(frm, to, *, ago=timedelta(hours=2), read=False):
    created = timezone.now() - ago
    return Message.objects.create(
        sender=frm.email,
        recipient=to.email,
        body="hi",
        created_at=created,
        read_at=created if read else None,
    )


def _digests():
    return list(OutboxMail.objects.filter(kind="chat_digest").values_list("to", flat=True))


def test_digest_lists_unread_messages_per_sender():
    mentee, mentor = MenteeFactory(), MentorFactory(firstName="Grace", lastName="Hopper")
    _message(mentor, mentee)
    _message(mentor, mentee)
    _message(mentor, mentee, read=True)  # read: not in the digest
    _message(mentee, mentor, ago=timedelta(minutes=5))  # too recent to be digest material

    assert notify.send_digests() == 1

    digest = OutboxMail.objects.get(kind="chat_digest")
    assert digest.to == mentee.email
    assert digest.subject == "You have 2 unread messages"
    assert f"2 from Grace Hopper ({mentor.email})" in digest.body_text


def test_at_most_one_digest_a_day_and_none_without_news():
    mentee, mentor = MenteeFactory(), MentorFactory()
    _message(mentor, mentee)
    now = timezone.now()

    assert notify.send_digests(now=now) == 1
    _message(mentor, mentee, ago=timedelta(hours=-2))  # arrives later (relative to `now`)
    assert notify.send_digests(now=now + timedelta(hours=23)) == 0  # within a day
    # A day on: a new unread message, a new digest.
    assert notify.send_digests(now=now + timedelta(hours=25)) == 1
    # Another day on, nothing new since the last digest: none.
    assert notify.send_digests(now=now + timedelta(hours=50)) == 0
    assert _digests() == [mentee.email, mentee.email]


def test_digest_respects_the_opt_out():
    mentee, mentor = MenteeFactory(), MentorFactory()
    User.objects.filter(pk=mentee.pk).update(notifications_off=["chat_digest"])
    _message(mentor, mentee)

    assert notify.send_digests() == 0
    assert _digests() == []


def test_the_sender_tick_and_the_command_write_digests():
    mentee, mentor = MenteeFactory(), MentorFactory()
    _message(mentor, mentee)
    _message(mentee, mentor)

    sender.tick()  # what the send_emails loop runs every OUTBOX_PERIODIC_SECONDS
    assert sorted(_digests()) == sorted([mentee.email, mentor.email])

    out = StringIO()
    call_command("send_digests", stdout=out)
    assert out.getvalue().strip() == "0 digest(s) written to the outbox."
