"""Behaviour the app relies on from its database, checked through pymongo (embedded or real)."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from pymongo import ASCENDING, MongoClient
from pymongo.errors import DuplicateKeyError

from config.embedded_mongo import REPO, EmbeddedMongo


@pytest.fixture
def client():
    """A pymongo client on the session's MONGODB_URI."""
    with MongoClient(os.environ["MONGODB_URI"]) as mongo_client:
        yield mongo_client


@pytest.fixture
def mongo_db(client):
    """A fresh, uniquely named database, dropped afterwards."""
    name = f"test_embedded_{uuid.uuid4().hex[:12]}"
    yield client[name]
    client.drop_database(name)


def test_duplicate_id_rejected(mongo_db):
    mongo_db.docs.insert_one({"_id": "a"})
    with pytest.raises(DuplicateKeyError):
        mongo_db.docs.insert_one({"_id": "a"})
    assert mongo_db.docs.count_documents({}) == 1


def test_numeric_ids_one_and_one_point_zero_are_duplicates(mongo_db):
    mongo_db.docs.insert_one({"_id": 1})
    with pytest.raises(DuplicateKeyError):
        mongo_db.docs.insert_one({"_id": 1.0})
    assert mongo_db.docs.count_documents({}) == 1


def test_duplicate_single_field_unique_key_rejected(mongo_db):
    mongo_db.users.create_index("email", unique=True)
    mongo_db.users.insert_one({"email": "a@example.com"})
    with pytest.raises(DuplicateKeyError):
        mongo_db.users.insert_one({"email": "a@example.com"})
    mongo_db.users.insert_one({"email": "b@example.com"})
    assert mongo_db.users.count_documents({}) == 2


def test_duplicate_compound_unique_key_rejected(mongo_db):
    scores = mongo_db.scores
    scores.create_index([("mentee", ASCENDING), ("mentor", ASCENDING)], unique=True)
    scores.insert_one({"mentee": "m1", "mentor": "t1", "score": 1})
    scores.insert_one({"mentee": "m1", "mentor": "t2", "score": 2})
    with pytest.raises(DuplicateKeyError):
        scores.insert_one({"mentee": "m1", "mentor": "t1", "score": 3})
    # An update that would create the duplicate pair is rejected too.
    with pytest.raises(DuplicateKeyError):
        scores.update_one({"mentee": "m1", "mentor": "t2"}, {"$set": {"mentor": "t1"}})
    # A missing field and an explicit null are the same index key.
    scores.insert_one({"mentee": "m2"})
    with pytest.raises(DuplicateKeyError):
        scores.insert_one({"mentee": "m2", "mentor": None})
    assert scores.count_documents({}) == 3
    assert scores.find_one({"mentee": "m1", "mentor": "t1"})["score"] == 1


def test_compound_unique_key_with_array_element_rejected(mongo_db):
    pairs = mongo_db.pairs
    pairs.create_index([("a", ASCENDING), ("b", ASCENDING)], unique=True)
    pairs.insert_one({"a": 1, "b": ["x", "y"]})
    with pytest.raises(DuplicateKeyError):
        pairs.insert_one({"a": 1, "b": "y"})
    pairs.insert_one({"a": 1, "b": "z"})
    assert pairs.count_documents({}) == 2


def test_upsert_of_missing_id_inserts_exactly_once(mongo_db):
    filter_ = {"_id": "user-1", "active": True}
    first = mongo_db.docs.update_one(filter_, {"$set": {"n": 1}}, upsert=True)
    second = mongo_db.docs.update_one(filter_, {"$set": {"n": 1}}, upsert=True)
    assert first.upserted_id == "user-1"
    assert second.upserted_id is None
    assert second.matched_count == 1
    assert list(mongo_db.docs.find()) == [{"_id": "user-1", "active": True, "n": 1}]
    # Updates and deletes of a missing _id match nothing.
    assert mongo_db.docs.update_one({"_id": "nobody"}, {"$set": {"n": 2}}).matched_count == 0
    assert mongo_db.docs.delete_one({"_id": "nobody"}).deleted_count == 0


def test_update_by_compound_equality_finds_the_document(mongo_db):
    scores = mongo_db.scores
    scores.create_index([("mentee", ASCENDING), ("mentor", ASCENDING)], unique=True)
    scores.insert_many([{"mentee": f"m{i}", "mentor": f"t{i % 3}", "s": 0} for i in range(9)])
    result = scores.update_one({"mentee": "m4", "mentor": "t1"}, {"$set": {"s": 5}})
    assert result.matched_count == 1
    assert (
        scores.update_one({"mentee": "m4", "mentor": "t2"}, {"$set": {"s": 6}}).matched_count == 0
    )
    assert scores.find_one({"mentee": "m4"})["s"] == 5


def test_server_info_sends_lowercase_buildinfo(client):
    info = client.server_info()
    assert info["ok"] == 1
    assert isinstance(info["version"], str)


def test_expr_not_filters(mongo_db):
    mongo_db.docs.insert_many(
        [{"_id": 1, "n": 0}, {"_id": 2, "n": 5}, {"_id": 3, "n": None}, {"_id": 4}]
    )
    gt_one = {"$gt": ["$n", 1]}
    found = mongo_db.docs.find({"$expr": {"$not": [gt_one]}}, sort=[("_id", 1)])
    assert [doc["_id"] for doc in found] == [1, 3, 4]
    projected = mongo_db.docs.aggregate(
        [{"$sort": {"_id": 1}}, {"$project": {"falsy": {"$not": ["$n"]}, "bare": {"$not": "$n"}}}]
    )
    assert [(doc["falsy"], doc["bare"]) for doc in projected] == [
        (True, True),
        (False, False),
        (True, True),
        (True, True),
    ]


def test_dump_restore_round_trip(tmp_path):
    data_dir = tmp_path / "mongo"
    with EmbeddedMongo(data_dir) as first, MongoClient(first.uri) as mongo_client:
        pairs = mongo_client.app.pairs
        pairs.create_index([("a", ASCENDING), ("b", ASCENDING)], unique=True, name="a_b")
        # String ids: numeric _ids cost O(n) each on mongoeco (a known, unbridged gap,
        # docs/operations.md), which made this insert hold the server's loop for seconds.
        pairs.insert_many([{"_id": f"p{i}", "a": i % 10, "b": str(i)} for i in range(2500)])
        mongo_client.app.create_collection("empty")
    assert (data_dir / "app" / "pairs.bson").is_file()
    assert (data_dir / "app" / "pairs.metadata.json").is_file()
    with EmbeddedMongo(data_dir) as second, MongoClient(second.uri) as mongo_client:
        pairs = mongo_client.app.pairs
        assert pairs.count_documents({}) == 2500
        assert pairs.find_one({"_id": "p1234"}) == {"_id": "p1234", "a": 4, "b": "1234"}
        assert "empty" in mongo_client.app.list_collection_names()
        assert sorted(pairs.index_information()) == ["_id_", "a_b"]  # no hidden index
        index = pairs.index_information()["a_b"]
        assert index["key"] == [("a", 1), ("b", 1)]
        assert index["unique"] is True
        with pytest.raises(DuplicateKeyError):
            pairs.insert_one({"a": 4, "b": "1234"})


def _process_gone(pid: int) -> bool:
    """True when pid is no longer the embedded server (gone, or reused by something else)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return True
    return b"embedded_mongo.py" not in cmdline


def test_run_returns_child_exit_code_and_leaves_no_server(tmp_path):
    child = (
        "import os, sys\n"
        "from pymongo import MongoClient\n"
        "MongoClient(os.environ['MONGODB_URI']).admin.command('ping')\n"
        "print(os.environ['MONGODB_EMBEDDED_PID'])\n"
        "sys.exit(7)\n"
    )
    env = {key: value for key, value in os.environ.items() if key != "MONGODB_URI"}
    finished = subprocess.run(
        [sys.executable, "-m", "config.embedded_mongo", "run", "--", sys.executable, "-c", child],
        check=False,
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert finished.returncode == 7, finished.stderr
    server_pid = int(finished.stdout.strip())
    assert _process_gone(server_pid)


def test_delete_and_update_by_id_in(mongo_db):
    mongo_db.docs.insert_many([{"_id": f"d{i}", "n": i} for i in range(10)])
    updated = mongo_db.docs.update_many({"_id": {"$in": ["d1", "d2", "gone"]}}, {"$set": {"n": -1}})
    assert updated.matched_count == 2
    deleted = mongo_db.docs.delete_many({"_id": {"$in": ["d1", "d3", "gone"]}, "n": -1})
    assert deleted.deleted_count == 1
    assert sorted(doc["_id"] for doc in mongo_db.docs.find({"n": -1})) == ["d2"]
    assert mongo_db.docs.count_documents({}) == 9


def test_in_on_an_indexed_field_finds_exactly_the_matches(mongo_db):
    """$in on a field with a single-field index (answered from the index on the embedded
    server, FIX(k)) matches what MongoDB's $in matches: scalars and array elements, 1 and
    1.0 alike, never null/missing, and still the rest of the filter."""
    docs = mongo_db.docs
    docs.create_index([("email", ASCENDING)], unique=True, sparse=True)
    docs.create_index([("tag", ASCENDING)])
    docs.insert_many(
        [
            {"_id": "a", "email": "a@x.edu", "tag": "red", "n": 1},
            {"_id": "b", "email": "b@x.edu", "tag": ["blue", "red"], "n": 2},
            {"_id": "c", "email": "c@x.edu", "tag": 1, "n": 3},
            {"_id": "d", "tag": None, "n": 4},
            {"_id": "e", "n": 5},
        ]
    )

    def ids(query):
        return sorted(doc["_id"] for doc in docs.find(query))

    assert ids({"email": {"$in": ["a@x.edu", "c@x.edu", "nobody@x.edu"]}}) == ["a", "c"]
    assert ids({"email": {"$in": ["a@x.edu", "b@x.edu"]}, "n": {"$gt": 1}}) == ["b"]
    assert ids({"tag": {"$in": ["red"]}}) == ["a", "b"]
    assert ids({"tag": {"$in": [1.0, "blue"]}}) == ["b", "c"]
    assert ids({"tag": {"$in": [None]}}) == ["d", "e"]  # null matches missing too
    assert ids({"email": {"$in": []}}) == []
    assert docs.count_documents({"email": {"$in": ["b@x.edu", "c@x.edu"]}}) == 2
    assert docs.delete_many({"email": {"$in": ["a@x.edu"]}, "n": 9}).deleted_count == 0
    assert docs.update_many({"tag": {"$in": ["red"]}}, {"$inc": {"n": 10}}).matched_count == 2
    assert ids({"n": {"$gt": 10}}) == ["a", "b"]


def _index_names(collection):
    return sorted(index["name"] for index in collection.list_indexes())


def test_equality_on_a_compound_index_prefix_and_the_indexes_listed(mongo_db):
    """An equality on a compound index's leading field (a mentee's scores, answered through
    a hidden single-field index on the embedded server, FIX(l)) finds exactly the matches,
    and the indexes a client sees are the ones it created, whatever it creates or drops."""
    scores = mongo_db.scores
    scores.create_index([("mentee", ASCENDING), ("score", -1)], name="rank")
    scores.insert_many(
        [{"mentee": f"m{i % 3}", "mentor": f"t{i}", "score": i} for i in range(12)]
        + [{"mentee": ["m1", "m2"], "mentor": "both", "score": 99}, {"mentor": "none"}]
    )

    def mentors(query):
        return [doc["mentor"] for doc in scores.find(query).sort("score", -1)]

    assert _index_names(scores) == ["_id_", "rank"]
    assert list(scores.index_information()) == ["_id_", "rank"]
    assert mentors({"mentee": "m1"}) == ["both", "t10", "t7", "t4", "t1"]
    assert mentors({"mentee": "m0", "score": {"$gte": 6}}) == ["t9", "t6"]
    assert mentors({"mentee": None}) == ["none"]

    scores.create_index([("mentee", ASCENDING)], name="by_mentee")  # the client's own
    assert _index_names(scores) == ["_id_", "by_mentee", "rank"]
    scores.drop_index("by_mentee")
    scores.drop_index("rank")
    assert _index_names(scores) == ["_id_"]
    assert mentors({"mentee": "m2"}) == ["both", "t11", "t8", "t5", "t2"]
    scores.create_index([("mentee", ASCENDING), ("mentor", ASCENDING)], unique=True, name="pair")
    assert _index_names(scores) == ["_id_", "pair"]
    assert scores.delete_many({"mentee": "m0"}).deleted_count == 4
    assert mentors({"mentee": "m0"}) == []


def test_scalar_and_index_fast_paths_round_trip(mongo_db):
    # Fixes (g)-(i) shortcut the codec, deepcopy and index-key computation for plain
    # top-level values; everything must read back and index exactly as before.
    import datetime

    from bson import ObjectId

    docs = mongo_db.docs
    docs.create_index("tags", unique=True)
    docs.create_index([("owner", ASCENDING), ("n", ASCENDING)])
    docs.create_index("meta.kind")
    oid = ObjectId()
    aware = datetime.datetime(2024, 5, 1, 12, 30, 15, 123000, tzinfo=datetime.UTC)
    doc = {
        "_id": oid,
        "owner": "ann",
        "n": 2**40,
        "small": -7,
        "f": 1.5,
        "flag": True,
        "nothing": None,
        "when": aware,
        "tags": ["a", "b"],
        "meta": {"kind": "x", "at": aware, "ref": oid},
    }
    docs.insert_one(doc)
    stored = docs.find_one({"_id": oid})
    naive = aware.replace(tzinfo=None)
    assert stored == {**doc, "when": naive, "meta": {"kind": "x", "at": naive, "ref": oid}}
    assert isinstance(stored["n"], int) and type(stored["f"]) is float
    # Array values still index every element (unique and lookups).
    with pytest.raises(DuplicateKeyError):
        docs.insert_one({"tags": "b"})
    assert docs.find_one({"tags": "a"})["_id"] == oid
    assert docs.find_one({"meta.kind": "x"})["_id"] == oid
    assert docs.find_one({"owner": "ann", "n": 2**40})["_id"] == oid
    docs.update_one({"_id": oid}, {"$set": {"tags": ["c"], "owner": "bob"}})
    docs.insert_one({"tags": ["a"], "owner": None})
    assert docs.count_documents({"owner": "bob", "n": 2**40}) == 1
    assert docs.count_documents({"owner": None}) == 1
    assert [d["tags"] for d in docs.find({}, sort=[("tags", 1)])] == [["a"], ["c"]]
