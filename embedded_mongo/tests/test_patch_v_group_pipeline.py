"""FIX(v): a [$match, $sort, $group] aggregate answered as a find and a group returns what
mongoeco's own aggregation returns.

Two embedded servers get the same documents and the same aggregates: the session's
(patched; or one started here when the session runs on a real MongoDB) and a reference
started with EMBEDDED_MONGO_NO_SPEED_PATCHES=1 (mongoeco's own aggregation and $group).
Seeded random messages (ties on time, keys missing or not strings, read_at of several
types) go through the pipelines the fast path takes and through ones it must leave alone;
results are compared in order, by value and by type. A probe in the server's own Python
shows the fast path is taken for the conversation list's pipeline, and left for the
others, so the comparison is not vacuous.
"""

import datetime
import random
import uuid

import pytest
from bson import ObjectId
from pymongo import ASCENDING, DESCENDING

from embedded_mongo.tests.reference_servers import patched_and_reference, typed
from embedded_mongo.tests.server_python import run_probe

PEOPLE = ["a@x.edu", "b@x.edu", "c@x.edu"]
OFF = {"EMBEDDED_MONGO_NO_SPEED_PATCHES": "1"}  # mongoeco's own aggregation and $group
CONVERSATION = {
    "_id": {"sender": "$sender", "recipient": "$recipient"},
    "last": {"$first": "$$ROOT"},
    "unread": {"$sum": {"$cond": ["$read_at", 0, 1]}},
}


@pytest.fixture(scope="module")
def servers():
    """(patched database, reference database), each a throwaway one."""
    with patched_and_reference(OFF, "test_group_pipeline") as pair:
        yield pair


def _messages(rng: random.Random, count: int) -> list[dict]:
    start = datetime.datetime(2026, 3, 1)
    keys = [lambda: rng.choice(PEOPLE)] * 8 + [lambda: None, lambda: 7]
    reads = [None, start, start, None, 0, "x", True]
    documents = []
    for _ in range(count):
        document = {"_id": ObjectId(), "body": "m", "t": start}
        document["t"] += datetime.timedelta(seconds=rng.randrange(4))  # many ties
        for field in ("sender", "recipient"):
            if rng.random() > 0.05:
                document[field] = rng.choice(keys)()
        document["pair"] = "\n".join(sorted(str(document.get(f)) for f in ("sender", "recipient")))
        if rng.random() > 0.2:
            document["read_at"] = rng.choice(reads)
        documents.append(document)
    return documents


def _pipelines(rng: random.Random) -> list[list[dict]]:
    pair = "\n".join(sorted(rng.sample(PEOPLE, 2)))
    me = rng.choice(PEOPLE)
    newest = {"$sort": {"t": -1, "_id": -1}}
    return [
        # Taken by the fast path.
        [{"$match": {"pair": {"$in": [pair, "nobody\nnone"]}}}, newest, {"$group": CONVERSATION}],
        [{"$match": {}}, {"$group": {"_id": "$sender", "n": {"$sum": 1}}}],
        [
            {"$match": {"$or": [{"sender": me}, {"recipient": me}]}},
            {"$sort": {"t": 1}},
            {
                "$group": {
                    "_id": {"r": "$recipient"},
                    "read": {"$sum": {"$cond": ["$read_at", 1, 0]}},
                    "last": {"$last": "$$ROOT"},
                }
            },
        ],
        # Left to mongoeco: another stage after the group, a stage before the match, an
        # $expr match, a limit, an accumulator of another form.
        [{"$match": {}}, newest, {"$group": CONVERSATION}, {"$sort": {"_id.sender": 1}}],
        [newest, {"$match": {"sender": me}}, {"$group": CONVERSATION}],
        [{"$match": {"$expr": {"$eq": ["$sender", me]}}}, {"$group": CONVERSATION}],
        [{"$match": {}}, newest, {"$limit": 5}, {"$group": CONVERSATION}],
        [{"$match": {}}, {"$group": {"_id": "$sender", "bodies": {"$push": "$body"}}}],
    ]


@pytest.mark.parametrize("seed", range(6))
def test_the_same_groups_in_the_same_order(servers, seed):
    rng = random.Random(seed)
    documents = _messages(rng, rng.randrange(0, 60))
    collection = f"m{uuid.uuid4().hex[:8]}"
    pair = [database[collection] for database in servers]
    for messages in pair:
        messages.create_index([("pair", ASCENDING), ("t", DESCENDING), ("_id", DESCENDING)])
        if documents:
            messages.insert_many([dict(document) for document in documents])
    for pipeline in _pipelines(rng):
        patched, reference = (list(messages.aggregate(pipeline)) for messages in pair)
        assert typed(patched) == typed(reference), pipeline


def test_more_documents_than_a_page_or_groups_than_a_batch(servers):
    """Past 256 documents, or with more groups than the first batch holds, mongoeco's own
    code answers (and pymongo's getMore reads the rest): the same results."""
    rng = random.Random(99)
    documents = _messages(rng, 300)
    collection = f"m{uuid.uuid4().hex[:8]}"
    pair = [database[collection] for database in servers]
    for messages in pair:
        messages.insert_many([dict(document) for document in documents])
    pipeline = [{"$match": {}}, {"$sort": {"t": -1, "_id": -1}}, {"$group": CONVERSATION}]
    for options in ({}, {"batchSize": 1}):
        small = [{"$match": {"body": "m", "t": {"$lt": datetime.datetime(2026, 3, 1, 0, 0, 2)}}}]
        for stages in (pipeline, small + pipeline[1:]):
            patched, reference = (list(m.aggregate(stages, **options)) for m in pair)
            assert typed(patched) == typed(reference)


PROBE = r"""
import asyncio
import mongoeco
from embedded_mongo.patches import apply_patches
from mongoeco.api._async import _database_admin_read_commands as read_commands

apply_patches()
patched = read_commands.DatabaseAdminReadCommandService.execute_aggregate_command
cells = dict(zip(patched.__code__.co_freevars, patched.__closure__))
original = cells["original"].cell_contents
fallbacks = []

async def counted(*args, **kwargs):
    fallbacks.append(1)
    return await original(*args, **kwargs)

cells["original"].cell_contents = counted
GROUP = {"_id": {"sender": "$sender", "recipient": "$recipient"}, "last": {"$first": "$$ROOT"},
         "unread": {"$sum": {"$cond": ["$read_at", 0, 1]}}}

async def main():
    database = mongoeco.AsyncMongoClient()["probe"]
    message = {"sender": "a", "recipient": "b", "pair": "a\nb", "read_at": None}
    await database.m.insert_many([{**message, "t": i} for i in range(5)])
    counts = []
    for pipeline in (
        [{"$match": {"pair": {"$in": ["a\nb"]}}}, {"$sort": {"t": -1}}, {"$group": GROUP}],
        [{"$match": {}}, {"$group": GROUP}, {"$sort": {"_id": 1}}],
    ):
        before = len(fallbacks)
        reply = await database.command({"aggregate": "m", "pipeline": pipeline, "cursor": {}})
        assert reply["cursor"]["firstBatch"][0]["unread"] == 5
        counts.append(len(fallbacks) - before)
    print(*counts)

asyncio.run(main())
"""


def test_the_fast_path_is_taken_for_the_conversation_list():
    assert run_probe(PROBE, timeout=120).split() == ["0", "1"]
