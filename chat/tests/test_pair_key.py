"""Every message carries its conversation's key (chat.models.pair_key), whichever ORM path
wrote it, and chat 0003 gives one to the messages written before the key existed: pages
and the conversation list read messages by it."""

import importlib
from collections import Counter

import pytest
from django.apps import apps
from django.db import connection
from pymongo.collection import Collection
from pymongo.errors import ConnectionFailure

from chat import services
from chat.models import Message, pair_key
from matching import services as matching
from users.models import User
from users.tests.factories import MenteeFactory, MentorFactory

pytestmark = pytest.mark.django_db

A, B = "ada@example.edu", "bob@example.edu"


def _stored_keys() -> dict:
    raw = connection.get_collection(Message._meta.db_table)
    return {doc["body"]: doc.get("pair") for doc in raw.find({}, {"body": 1, "pair": 1})}


def test_the_key_is_the_same_whichever_of_the_two_sends():
    assert pair_key(A, B) == pair_key(B, A) == f"{A}\n{B}"
    assert pair_key(A, B) != pair_key(A, "carl@example.edu")


def test_create_save_and_bulk_create_all_store_the_key():
    Message.objects.create(sender=A, recipient=B, body="create")
    Message.objects.bulk_create([Message(sender=B, recipient=A, body="bulk")])
    message = Message(sender=A, recipient=B, body="save", pair="wrong")
    message.save()
    assert message.pair == pair_key(A, B)
    assert _stored_keys() == {
        "create": pair_key(A, B),
        "bulk": pair_key(A, B),
        "save": pair_key(A, B),
    }


def test_the_migration_keys_old_messages_and_can_run_twice():
    migration = importlib.import_module("chat.migrations.0003_message_pair_backfill")
    raw = connection.get_collection(Message._meta.db_table)
    raw.insert_one({"sender": A, "recipient": B, "body": "no field"})
    raw.insert_one({"sender": B, "recipient": A, "body": "empty", "pair": ""})
    raw.insert_one({"sender": A, "recipient": "carl@example.edu", "body": "null", "pair": None})
    Message.objects.create(sender=B, recipient=A, body="new")

    for _ in range(2):
        migration.set_pair_keys(apps, connection.schema_editor())

    assert _stored_keys() == {
        "no field": pair_key(A, B),
        "empty": pair_key(A, B),
        "null": pair_key(A, "carl@example.edu"),
        "new": pair_key(A, B),
    }


def test_the_migration_keys_more_than_one_batch(monkeypatch):
    migration = importlib.import_module("chat.migrations.0003_message_pair_backfill")
    monkeypatch.setattr(migration, "BATCH", 3)
    raw = connection.get_collection(Message._meta.db_table)
    raw.insert_many([{"sender": A, "recipient": B, "body": str(i)} for i in range(7)])

    migration.set_pair_keys(apps, connection.schema_editor())

    assert set(_stored_keys().values()) == {pair_key(A, B)}


def test_a_backfill_that_died_after_a_batch_is_finished_by_running_it_again(monkeypatch):
    """The migration's process killed after its first batch (simulated: the second write
    fails): the keys written stay, and the next migrate run keys the rest."""
    migration = importlib.import_module("chat.migrations.0003_message_pair_backfill")
    monkeypatch.setattr(migration, "BATCH", 3)
    raw = connection.get_collection(Message._meta.db_table)
    raw.insert_many([{"sender": A, "recipient": B, "body": str(i)} for i in range(7)])
    real_bulk_write = Collection.bulk_write
    writes = []

    def dies_on_the_second(self, requests, *args, **kwargs):
        writes.append(len(requests))
        if len(writes) == 2:
            raise ConnectionFailure("killed")
        return real_bulk_write(self, requests, *args, **kwargs)

    monkeypatch.setattr(Collection, "bulk_write", dies_on_the_second)
    with pytest.raises(ConnectionFailure):
        migration.set_pair_keys(apps, connection.schema_editor())
    assert Counter(_stored_keys().values()) == {pair_key(A, B): 3, None: 4}

    monkeypatch.setattr(Collection, "bulk_write", real_bulk_write)
    migration.set_pair_keys(apps, connection.schema_editor())

    assert set(_stored_keys().values()) == {pair_key(A, B)}


def test_a_page_and_the_list_read_only_their_pair():
    mentor, mentee = MentorFactory(), MenteeFactory()
    matching.select_mentor(mentee=mentee, mentor_email=mentor.email)
    mentee = User.objects.get(pk=mentee.pk)
    other = MenteeFactory()
    Message.objects.create(sender=mentee.email, recipient=mentor.email, body="ours")
    Message.objects.create(sender=other.email, recipient=mentor.email, body="theirs")
    Message.objects.create(sender=mentor.email, recipient=other.email, body="theirs too")

    page, _ = services.list_messages(user=mentee, other=mentor.email, before=None, limit=10)
    (row,) = services.conversations(user=mentee)

    assert [m["body"] for m in page] == ["ours"]
    assert row["last_message"]["body"] == "ours"
