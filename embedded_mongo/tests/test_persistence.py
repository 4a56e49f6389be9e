"""Dumps in mongodump layout and their restore (embedded_mongo/persistence.py)."""

import pytest
from pymongo import ASCENDING, MongoClient
from pymongo.errors import DuplicateKeyError

from embedded_mongo import EmbeddedMongo


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


def test_a_second_server_on_the_same_data_refuses_to_start(tmp_path):
    """Two servers on one data directory would both restore it, journal side by side and
    replace each other's dumps: the second refuses, naming the first; once the first is
    gone (here SIGKILLed: the kernel drops its lock), a new one starts on the same data."""
    data_dir = tmp_path / "mongo"
    first = EmbeddedMongo(data_dir)
    with MongoClient(first.start()) as mongo_client:
        mongo_client.app.kept.insert_one({"_id": "x"})
    second = EmbeddedMongo(data_dir)
    with pytest.raises(
        RuntimeError, match=rf"in use by another embedded server \(pid {first.pid}\)"
    ):
        second.start()
    second.stop()
    first.process.kill()
    first.process.wait()
    first.stop()
    with EmbeddedMongo(data_dir) as third, MongoClient(third.uri) as mongo_client:
        assert mongo_client.app.kept.find_one() == {"_id": "x"}  # journaled before the kill
