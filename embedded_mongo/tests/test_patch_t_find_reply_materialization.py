"""FIX(t): a find reply left unmaterialised encodes to exactly the bytes of a materialised one.

Two checks. In the embedded server's own Python, a seeded corpus of documents in the form the
engine hands to a find cursor (mongoeco's own ObjectId, Binary, Int64, Decimal128, ...,
aware and naive datetimes, UUIDs) is encoded for the wire with and without the
materialisation the patch skips, byte for byte; the corpus must hold documents that the
materialisation does change, or skipping it would prove nothing. Over the wire, one corpus
of every BSON type is written to a server with the speed patches and to one without them
(EMBEDDED_MONGO_NO_SPEED_PATCHES=1, so without FIX(t)), and every kind of find (whole
collection, small batches with getMore, projections, find_one) returns the same raw bytes.
"""

import datetime
import uuid

from bson import (
    Binary,
    Code,
    DBRef,
    Decimal128,
    Int64,
    MaxKey,
    MinKey,
    ObjectId,
    Regex,
    Timestamp,
)
from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument
from pymongo import MongoClient

from embedded_mongo import EmbeddedMongo
from embedded_mongo.tests.server_python import run_probe

PROBE = r"""
import datetime, decimal, random, uuid
from bson import BSON
from mongoeco import types as t
from mongoeco._types.concerns import CodecOptions
from mongoeco.core import bson_scalars as b
from mongoeco.core._public_materialization import materialize_public_document
from mongoeco.wire import bson_bridge
from embedded_mongo.tests.probe_corpus import nested_value
from embedded_mongo.patches import apply_patches

apply_patches()  # the encoder the server runs (FIX(o) included)
encode = bson_bridge.encode_wire_value
options = CodecOptions()  # what the server's own client uses (asserted by the patch)

rng = random.Random(29)
aware = datetime.datetime(2026, 5, 1, 12, 30, 15, 123000, tzinfo=datetime.timezone.utc)
plus2 = datetime.timezone(datetime.timedelta(hours=2))
SPECIAL = [
    lambda: t.ObjectId(), lambda: t.Binary(b"\x01\x02", subtype=5), lambda: b"raw",
    lambda: t.Binary(uuid.UUID(int=rng.getrandbits(128)).bytes, subtype=4),
    lambda: t.Binary(b"0123456789abcdef", subtype=3),
    lambda: t.Decimal128("1.25"), lambda: decimal.Decimal("-3.5"), lambda: t.Regex("^a", "i"),
    lambda: t.Timestamp(5, 7), lambda: t.UNDEFINED, lambda: uuid.UUID(int=rng.getrandbits(128)),
    lambda: b.BsonInt64(2**40), lambda: b.BsonInt64(3), lambda: b.BsonInt32(-5),
    lambda: b.BsonDouble(2.5), lambda: b.BsonDecimal128(decimal.Decimal("9.75")),
    lambda: t.SON([("z", 1), ("a", t.ObjectId())]),
    lambda: t.DBRef("coll", t.ObjectId(), database="db", extras={"x": t.Binary(b"e", 3)}),
    lambda: aware, lambda: aware.astimezone(plus2),
]
PLAIN = [
    lambda: "text é", lambda: rng.randint(-2**62, 2**62), lambda: rng.random(),
    lambda: rng.random() < 0.5, lambda: None,
    lambda: datetime.datetime(2025, 1, 2, 3, 4, 5, 678000),
    lambda: datetime.datetime(1960, 7, 8, 9, 10, 11),
]

def value(depth):
    return nested_value(rng, SPECIAL, PLAIN, special_below=0.6, depth=depth)

checked = differ = changed = 0
for _ in range(1500):
    document = {"_id": t.ObjectId(), **{f"f{i}": value(0) for i in range(rng.randint(1, 8))}}
    materialized = materialize_public_document(document, codec_options=options)
    if BSON.encode(encode(document)) != BSON.encode(encode(materialized)):
        differ += 1
    if repr(materialized) != repr(document):
        changed += 1
    checked += 1
print(checked, differ, changed)
"""


def test_skipped_materialisation_encodes_the_same_bytes():
    checked, differ, changed = map(int, run_probe(PROBE).split())
    assert (checked, differ) == (1500, 0)
    # Most documents hold a value the materialisation converts: skipping it is a change.
    assert changed > 1000


def _corpus() -> list[dict]:
    aware = datetime.datetime(2026, 5, 1, 12, 30, 15, 123000, tzinfo=datetime.UTC)
    documents = [
        {
            "_id": ObjectId(),
            "i32": 7,
            "i64": Int64(2**40),
            "small64": Int64(3),
            "f": 1.5,
            "dec": Decimal128("1.10"),
            "s": "x é",
            "bin0": Binary(b"\x00\x01", 0),
            "bin3": Binary(b"0123456789abcdef", 3),
            "bin5": Binary(b"\x02", 5),
            "bin128": Binary(b"\x03", 128),
            "uuid": uuid.UUID(int=12345),
            "oid": ObjectId(),
            "b": True,
            "naive": datetime.datetime(2025, 1, 2, 3, 4, 5, 678000),
            "aware": aware,
            "old": datetime.datetime(1960, 7, 8, 9, 10, 11),
            "none": None,
            "re": Regex("^a", "i"),
            "code": Code("f()"),
            "scoped": Code("g(x)", {"x": 1}),
            "ts": Timestamp(5, 7),
            "min": MinKey(),
            "max": MaxKey(),
            "ref": DBRef("coll", ObjectId(), "db", extra=Int64(4)),
            "nested": {"list": [1, "two", {"when": aware, "id": ObjectId()}], "empty": {}},
            "array": [[], [Int64(1), Decimal128("2")], {"u": uuid.UUID(int=9)}],
        },
        {"_id": "string id", "only": 1},
        {"_id": Int64(99), "tags": ["a", "b"]},
    ]
    documents += [{"_id": i, "n": i, "tags": ["t", str(i)], "when": aware} for i in range(25)]
    return documents


def _replies(uri: str, name: str, corpus: list[dict]) -> list[bytes]:
    options = CodecOptions(document_class=RawBSONDocument)
    with MongoClient(uri, uuidRepresentation="standard") as client:
        client[name].docs.insert_many(corpus)
        docs = client[name].get_collection("docs", codec_options=options)
        reads = [
            list(docs.find({})),
            list(docs.find({}, batch_size=2)),  # getMore batches
            list(docs.find({"n": {"$gte": 3}}, {"tags": 1, "when": 1}).sort("n", -1)),
            list(docs.find({}, {"nested": 0, "_id": 0})),
            [docs.find_one({"only": 1})],
            [docs.find_one({"i32": 7}, {"ref": 1, "uuid": 1, "bin3": 1})],
        ]
        return [document.raw for read in reads for document in read]


def test_find_replies_are_byte_identical_over_the_wire():
    name = f"test_t_{uuid.uuid4().hex[:12]}"
    corpus = _corpus()  # one set of ObjectIds for both servers
    with EmbeddedMongo() as patched:
        with_patch = _replies(patched.uri, name, corpus)
    with EmbeddedMongo(env={"EMBEDDED_MONGO_NO_SPEED_PATCHES": "1"}) as plain:
        without = _replies(plain.uri, name, corpus)
    assert len(with_patch) == 28 + 28 + 22 + 28 + 1 + 1
    assert with_patch == without
