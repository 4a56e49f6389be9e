"""FIX(u): $group's fast path gives what mongoeco's own $group gives.

The comparison runs in the embedded server's own Python (mongoeco lives there): seeded
random documents (string, numeric, missing and null keys; read_at missing, null, a datetime,
a number, a string; documents in random order) go through mongoeco's _IncrementalGroup
with the fast path and without it (the same group with its plan removed: mongoeco's own
code for every document), for each spec form the fast path compiles and for forms it must
refuse. Results are compared by value, key order and type. A deliberately wrong fast path
($cond's branches swapped) must differ, so the comparison can fail; and the fast path must
really have been taken for the common documents, so it is not vacuous.
"""

from embedded_mongo.tests.server_python import run_probe

PROBE = r"""
import datetime, random, sys
import mongoeco.engines.memory  # mongoeco's import order: the engine before core.aggregation
from bson import ObjectId
from mongoeco.core.aggregation import grouping_stages as gs
from embedded_mongo.patches import i_immutable_deepcopy, u_group_fast_path
from embedded_mongo.tests.reference_servers import typed

i_immutable_deepcopy.apply()  # as the server applies it, before (u)
u_group_fast_path.apply()

FAST = [
    {"_id": {"sender": "$sender", "recipient": "$recipient"}, "last": {"$first": "$$ROOT"},
     "unread": {"$sum": {"$cond": ["$read_at", 0, 1]}}},
    {"_id": "$sender", "n": {"$sum": 1}, "first": {"$first": "$$ROOT"},
     "last": {"$last": "$$ROOT"}},
    {"_id": {"r": "$recipient"}, "read": {"$sum": {"$cond": ["$read_at", 1, 0]}},
     "zero": {"$sum": 0}},
]
# Forms the fast path must leave to mongoeco: dotted paths, variables, other operators.
REFUSED = [
    {"_id": "$a.b", "n": {"$sum": 1}},
    {"_id": {"s": "$sender"}, "x": {"$first": "$body"}},
    {"_id": {"s": "$sender"}, "x": {"$sum": "$n"}},
    {"_id": {"s": "$sender"}, "x": {"$sum": {"$cond": {"if": "$read_at", "then": 1, "else": 0}}}},
    {"_id": {"$ifNull": ["$sender", "none"]}, "n": {"$sum": 1}},
    {"_id": None, "n": {"$sum": 1}},
    {"_id": {"s": "$$ROOT"}, "n": {"$sum": 1}},
    {"_id": {"s": "$sender"}, "n": {"$sum": 1.5}},
]

rng = random.Random(int(sys.argv[2]))
people = ["a@x.edu", "b@x.edu", "c@x.edu"]
when = datetime.datetime(2026, 3, 1)
READ = [lambda: None, lambda: when, lambda: 0, lambda: 1, lambda: "", lambda: "x",
        lambda: datetime.datetime(2026, 3, 2, tzinfo=datetime.timezone.utc), lambda: False]
KEYS = [lambda: rng.choice(people)] * 6 + [lambda: None, lambda: 7, lambda: 7.0, lambda: ["a"]]

def document(i):
    out = {"_id": ObjectId(), "body": f"m{i}", "n": rng.randrange(5), "a": {"b": rng.randrange(2)}}
    for field in ("sender", "recipient"):
        if rng.random() > 0.05:
            out[field] = rng.choice(KEYS)()
    if rng.random() > 0.2:
        out["read_at"] = rng.choice(READ[:2] * 6 + READ)()
    return out

def swapped(plan):  # the plan with every $cond's branches swapped: a wrong fast path
    fields, names, accumulators = plan
    return fields, names, tuple(
        (kind, name, (arg[0], arg[2], arg[1]) if type(arg) is tuple else arg)
        for kind, name, arg in accumulators
    )

def grouped(spec, docs, *, fast):
    group = gs._IncrementalGroup(spec, {})
    if not fast:
        group._embedded_plan = None  # mongoeco's own code for every document
    elif sys.argv[1] == "broken" and group._embedded_plan is not None:
        group._embedded_plan = swapped(group._embedded_plan)
    for position, doc in enumerate(docs):
        group.consume_document(doc, position=position)
    return group.finish()

for spec in FAST:
    assert u_group_fast_path.compile_plan(spec) is not None, spec
for spec in REFUSED:
    assert u_group_fast_path.compile_plan(spec) is None, spec

mismatches = 0
for _round in range(int(sys.argv[3])):
    docs = [document(i) for i in range(rng.randrange(0, 40))]
    for spec in FAST + REFUSED:
        if typed(grouped(spec, docs, fast=True)) != typed(grouped(spec, docs, fast=False)):
            mismatches += 1

# Not vacuous: a plain conversation's documents never reach mongoeco's own code.
fallbacks = []
patched = gs._IncrementalGroup.consume_document
cells = dict(zip(patched.__code__.co_freevars, patched.__closure__))
original = cells["original_consume"].cell_contents
def counted(*args, **kwargs):
    fallbacks.append(1)
    return original(*args, **kwargs)
cells["original_consume"].cell_contents = counted
group = gs._IncrementalGroup(FAST[0], {})
for position in range(10):
    group.consume_document(
        {"_id": ObjectId(), "sender": people[position % 2], "recipient": people[1 - position % 2],
         "read_at": None if position % 3 else when},
        position=position,
    )
cells["original_consume"].cell_contents = original
print("mismatches", mismatches, "fallbacks", len(fallbacks))
"""


def test_the_fast_path_groups_exactly_as_mongoeco():
    assert run_probe(PROBE, "check", "7", "60", timeout=240).split() == [
        "mismatches",
        "0",
        "fallbacks",
        "0",
    ]


def test_a_wrong_fast_path_is_caught():
    """$cond's branches swapped in the compiled plans: the comparison must see it."""
    words = run_probe(PROBE, "broken", "7", "10", timeout=240).split()
    assert words[0] == "mismatches" and int(words[1]) > 0


def test_the_server_groups_with_the_fast_path(mongo_db):
    """Through the wire, on the session's server (or a real MongoDB): the conversations
    pipeline's shape, a read_at of another type (5: truthy) among them."""
    mongo_db.messages.insert_many(
        [
            {"sender": "a", "recipient": "b", "t": 1, "read_at": None},
            {"sender": "b", "recipient": "a", "t": 2},
            {"sender": "a", "recipient": "b", "t": 3, "read_at": None},
            {"sender": "a", "recipient": "b", "t": 0, "read_at": 5},
        ]
    )
    groups = mongo_db.messages.aggregate(
        [
            {"$sort": {"t": -1}},
            {
                "$group": {
                    "_id": {"sender": "$sender", "recipient": "$recipient"},
                    "last": {"$first": "$$ROOT"},
                    "unread": {"$sum": {"$cond": ["$read_at", 0, 1]}},
                }
            },
        ]
    )
    found = {
        (g["_id"]["sender"], g["_id"]["recipient"]): (g["last"]["t"], g["unread"]) for g in groups
    }
    assert found == {("a", "b"): (3, 2), ("b", "a"): (2, 1)}
