"""FIX(g), FIX(h), FIX(i): the speed-ups for plain values change no result."""

import pytest
from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError


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
