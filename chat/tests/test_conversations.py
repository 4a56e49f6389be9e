"""chat.services.conversations reads one aggregation grouped by direction and merges the two
directions of each pair itself: its rows must equal what the ORM reads of the same messages
(the newest message of the pair by (created_at, id), and the unread count of messages to
the user, a missing read_at counting as unread)."""

import random
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Q
from django.utils import timezone
from pymongo.collection import Collection

from chat import services
from chat.models import Message, pair_key
from matching import services as matching
from users.models import User
from users.tests.factories import MenteeFactory, MentorFactory

pytestmark = pytest.mark.django_db


def _reference(user: User) -> list[tuple]:
    rows = []
    for other in services.counterparts(user):
        pair = Q(sender=user.email, recipient=other) | Q(sender=other, recipient=user.email)
        last = Message.objects.filter(pair).order_by("-created_at", "-pk").first()
        unread = Message.objects.filter(sender=other, recipient=user.email, read_at=None).count()
        rows.append((other, last.pk if last else None, unread))
    return rows


def _listed(user: User) -> list[tuple]:
    return [
        (row["with"], row["last_message"]["_id"] if row["last_message"] else None, row["unread"])
        for row in services.conversations(user=user)
    ]


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_rows_equal_the_orm_reading(seed):
    rng = random.Random(seed)
    mentor = MentorFactory()
    mentees = [MenteeFactory(), MenteeFactory()]
    for mentee in mentees:
        matching.select_mentor(mentee=mentee, mentor_email=mentor.email)
    mentor = User.objects.get(pk=mentor.pk)
    mentees = [User.objects.get(pk=m.pk) for m in mentees]
    stranger = MenteeFactory()  # not matched: their messages are no conversation of the mentor
    start = timezone.now().replace(microsecond=0) - timedelta(hours=1)
    raw = connection.get_collection(Message._meta.db_table)
    for _ in range(rng.randint(0, 30)):
        mentee = rng.choice([*mentees, stranger])
        sender, recipient = rng.sample([mentee.email, mentor.email], 2)
        # Few distinct times, so that ties (broken by id) are common.
        created = start + timedelta(seconds=rng.randint(0, 5))
        roll = rng.random()
        if roll < 0.2:  # written without read_at, as a document from before it existed
            raw.insert_one(
                {
                    "sender": sender,
                    "recipient": recipient,
                    "pair": pair_key(sender, recipient),  # every message's since chat 0003
                    "body": "x",
                    "created_at": created,
                }
            )
            continue
        read_at = created if roll < 0.6 else None
        Message.objects.create(
            sender=sender, recipient=recipient, body="x", created_at=created, read_at=read_at
        )
    for user in (mentor, *mentees):
        assert _listed(user) == _reference(user)


@pytest.mark.parametrize("first_from_mentor", [True, False])
@pytest.mark.parametrize("reverse_groups", [False, True])
def test_a_tie_across_directions_goes_to_the_later_id(
    monkeypatch, first_from_mentor, reverse_groups
):
    """Two messages at the same millisecond, one each way: the later id is the last message,
    whatever order the server returns its groups in (MongoDB leaves $group's order open)."""
    mentor, mentee = MentorFactory(), MenteeFactory()
    matching.select_mentor(mentee=mentee, mentor_email=mentor.email)
    at = timezone.now().replace(microsecond=0)
    ends = [mentor.email, mentee.email] if first_from_mentor else [mentee.email, mentor.email]
    Message.objects.create(sender=ends[0], recipient=ends[1], body="first", created_at=at)
    later = Message.objects.create(sender=ends[1], recipient=ends[0], body="later", created_at=at)
    users = [User.objects.get(pk=user.pk) for user in (mentor, mentee)]
    assert [r[1] for user in users for r in _reference(user)] == [later.pk, later.pk]
    if reverse_groups:  # the ORM's reference above reads through aggregate too
        aggregate = Collection.aggregate
        monkeypatch.setattr(
            Collection, "aggregate", lambda self, *a, **k: list(aggregate(self, *a, **k))[::-1]
        )
    assert [r[1] for user in users for r in _listed(user)] == [later.pk, later.pk]
