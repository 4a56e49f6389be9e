"""FIX(n): an $or whose branches use indexes finds exactly what the full scan finds, in its order.

The reference is the same query with one more branch that no index can answer (a field no
document has, unindexed): that $or takes the full scan, on the embedded server and on
MongoDB alike, and can match nothing more.
"""

import datetime

import pytest
from pymongo import ASCENDING, DESCENDING

BASE = datetime.datetime(2024, 5, 1)
UNINDEXED = {"no_such_field": "never"}


@pytest.fixture
def messages(mongo_db):
    collection = mongo_db.messages
    collection.create_index(
        [("sender", ASCENDING), ("recipient", ASCENDING), ("created_at", DESCENDING)]
    )
    collection.create_index([("recipient", ASCENDING), ("read_at", ASCENDING)])
    collection.create_index([("tag", ASCENDING)], sparse=True)
    people = ["a", "b", "c"]
    documents = []
    for number in range(60):
        document = {
            "_id": f"m{(number * 37) % 60:02d}",
            "sender": people[number % 3],
            "recipient": people[(number // 3) % 3],
            # Ties: three messages per millisecond.
            "created_at": BASE + datetime.timedelta(milliseconds=number // 3),
        }
        if number % 4 == 0:
            document["read_at"] = BASE
        if number % 5 == 0:
            document["tag"] = ["x", "y"] if number % 10 else "x"
        if number % 7 == 0:
            document["sender"] = None
        documents.append(document)
    collection.insert_many(documents)
    return collection


def _ids(cursor):
    return [document["_id"] for document in cursor]


QUERIES = {
    "both directions of a pair": [
        {"sender": "a", "recipient": "b"},
        {"sender": "b", "recipient": "a"},
    ],
    "conversations' match": [
        {"sender": "a", "recipient": {"$in": ["b", "c"]}},
        {"recipient": "a", "sender": {"$in": ["b", "c"]}},
    ],
    "different indexes, overlapping": [{"sender": "c"}, {"recipient": "c"}, {"tag": "y"}],
    "sparse index branch": [{"tag": "x"}, {"sender": "b", "read_at": None}],
    "null branch (null also matches missing)": [{"sender": None}, {"recipient": "b"}],
    "nested $or": [{"$or": [{"sender": "a"}, {"recipient": "a"}]}, {"tag": "x"}],
}


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_same_documents_in_the_same_order_as_the_scan(messages, name):
    branches = QUERIES[name]
    indexed, scanned = {"$or": branches}, {"$or": [*branches, UNINDEXED]}
    assert _ids(messages.find(indexed)) == _ids(messages.find(scanned))
    assert _ids(messages.find(indexed)), "the query matches something"
    extra = {"created_at": {"$lt": BASE + datetime.timedelta(milliseconds=15)}}
    assert _ids(messages.find({"$and": [indexed, extra]})) == _ids(
        messages.find({"$and": [scanned, extra]})
    )
    for sort in ([("created_at", DESCENDING)], [("created_at", -1), ("_id", -1)]):
        for limit in (0, 1, 7):
            assert _ids(messages.find(indexed).sort(sort).limit(limit)) == _ids(
                messages.find(scanned).sort(sort).limit(limit)
            )
    pipeline = [{"$sort": {"created_at": 1}}, {"$limit": 5}]
    assert _ids(messages.aggregate([{"$match": indexed}, *pipeline])) == _ids(
        messages.aggregate([{"$match": scanned}, *pipeline])
    )
    assert messages.count_documents(indexed) == messages.count_documents(scanned)


def test_matches_are_mongodbs(messages):
    """Independent of the scan: the pair's messages, newest first, ties by _id."""
    found = _ids(
        messages.find(
            {
                "$or": [
                    {"sender": "a", "recipient": "b"},
                    {"sender": "b", "recipient": "a"},
                ]
            }
        ).sort([("created_at", -1), ("_id", -1)])
    )
    expected = sorted(
        (
            (document["created_at"], document["_id"])
            for document in messages.find()
            if {document["sender"], document["recipient"]} == {"a", "b"}
        ),
        reverse=True,
    )
    assert found == [pk for _, pk in expected]
    assert len(found) > 3


def test_writes_by_or_change_exactly_the_matches(messages):
    query = {"$or": [{"sender": "a", "recipient": "c"}, {"tag": "y"}]}
    expected = sorted(_ids(messages.find({"$or": [*query["$or"], UNINDEXED]})))
    assert messages.update_many(query, {"$set": {"seen": True}}).modified_count == len(expected)
    assert sorted(_ids(messages.find({"seen": True}))) == expected
    assert messages.delete_many(query).deleted_count == len(expected)
    assert messages.count_documents({"seen": True}) == 0
