"""FIX(o): the wire encoder's fast path encodes exactly the bytes the original encodes.

The comparison runs in the embedded server's own Python (mongoeco lives there): a seeded
corpus of nested documents mixing plain values with every type the original converts is
encoded through both functions and BSON.encode, byte for byte. The same corpus must tell a
deliberately wrong fast path apart (one that passes mongoeco's Binary through as plain
bytes, losing its subtype), so the comparison can fail.
"""

import datetime
import os
import uuid

from bson import Binary, Decimal128, ObjectId, Regex
from pymongo import MongoClient

from embedded_mongo import EmbeddedMongo
from embedded_mongo.tests.server_python import run_probe

PROBE = r"""
import datetime, decimal, random, sys, uuid
from bson import BSON
from mongoeco import types as t
from mongoeco.core import bson_scalars as b
from mongoeco.wire import bson_bridge, protocol
from mongoeco.api._async import raw_batch_cursor
from embedded_mongo.tests.probe_corpus import nested_value
from embedded_mongo.patches import o_wire_encode

original = bson_bridge.encode_wire_value
o_wire_encode.apply()
patched = bson_bridge.encode_wire_value
assert patched is not original and patched.original is original
assert protocol.encode_wire_value is patched and raw_batch_cursor.encode_wire_value is patched

if sys.argv[1] == "broken":
    # A wrong fast path: mongoeco's Binary (a bytes subclass) passed through as it is.
    def patched(value, _fast=patched):
        if isinstance(value, bytes):
            return value
        if type(value) is dict:
            return {k: patched(v) for k, v in value.items()}
        if type(value) is list:
            return [patched(v) for v in value]
        return _fast(value)

rng = random.Random(13)
aware = datetime.datetime(2026, 5, 1, 12, 30, tzinfo=datetime.timezone.utc)
SPECIAL = [
    lambda: t.ObjectId(), lambda: t.Binary(b"\x01\x02", subtype=5), lambda: b"raw",
    lambda: t.Decimal128("1.25"), lambda: decimal.Decimal("-3.5"), lambda: t.Regex("^a", "i"),
    lambda: t.Timestamp(5, 7), lambda: t.UNDEFINED, lambda: uuid.UUID(int=rng.getrandbits(128)),
    lambda: b.BsonInt64(2**40), lambda: b.BsonInt32(-5), lambda: b.BsonDouble(2.5),
    lambda: b.BsonDecimal128(decimal.Decimal("9.75")),
    lambda: t.SON([("z", 1), ("a", t.ObjectId())]),
    lambda: t.DBRef("coll", t.ObjectId(), database="db", extras={"x": t.Binary(b"e", 3)}),
]
PLAIN = [
    lambda: "text é", lambda: rng.randint(-2**62, 2**62), lambda: rng.random(),
    lambda: rng.random() < 0.5, lambda: None, lambda: aware,
    lambda: datetime.datetime(2025, 1, 2, 3, 4, 5, 678000),
]

def value(depth):
    return nested_value(rng, SPECIAL, PLAIN, special_below=0.55, depth=depth)

checked = differ = 0
for _ in range(1500):
    document = {"_id": t.ObjectId(), **{f"f{i}": value(0) for i in range(rng.randint(1, 8))}}
    want = BSON.encode(original(document))
    got = patched(document)
    if BSON.encode(got) != want:
        differ += 1
    assert got is not document  # a new container, as the original returns
    checked += 1
print(checked, differ)
"""


def _probe(mode: str) -> tuple[int, int]:
    checked, differ = run_probe(PROBE, mode).split()
    return int(checked), int(differ)


def test_fast_encoder_gives_the_original_bytes():
    assert _probe("patched") == (1500, 0)


def test_the_comparison_catches_a_wrong_fast_path():
    checked, differ = _probe("broken")
    assert checked == 1500 and differ > 0


def test_replies_round_trip_every_type_over_the_wire():
    # The session's server runs with every patch: replies of plain and special values read
    # back as written (naive UTC datetimes, as MongoDB returns them by default).
    started = None
    if os.environ.get("MONGODB_EMBEDDED") == "1":
        uri = os.environ["MONGODB_URI"]
    else:
        started = EmbeddedMongo()
        uri = started.start()
    name = f"test_wire_{uuid.uuid4().hex[:12]}"
    try:
        with MongoClient(uri) as client:
            docs = client[name].docs
            when = datetime.datetime(2026, 5, 1, 12, 30, 15, 123000)
            document = {
                "_id": ObjectId(),
                "s": "x",
                "n": 2**40,
                "f": 1.5,
                "b": False,
                "none": None,
                "when": when,
                "bin": Binary(b"\x00\x01", 5),
                "dec": Decimal128("1.10"),
                "re": Regex("^a", "i"),
                "nested": {"list": [1, "two", {"when": when, "id": ObjectId()}], "empty": []},
            }
            docs.insert_one(document)
            docs.insert_many([{"i": i, "tags": ["a", str(i)]} for i in range(300)])
            assert docs.find_one({"_id": document["_id"]}) == document
            assert [d["i"] for d in docs.find({"i": {"$gte": 0}}).sort("i", 1)] == list(range(300))
            client.drop_database(name)
    finally:
        if started is not None:
            started.stop()
