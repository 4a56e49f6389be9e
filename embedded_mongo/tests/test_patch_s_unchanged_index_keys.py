"""FIX(s): an update that leaves an index's key fields alone leaves that index alone, and every
index ends exactly as mongoeco's own upkeep leaves it.

In the embedded server's own Python (mongoeco lives there), with every patch applied as the
server applies them, once with FIX(s) and once without: one seeded workload of inserts,
updates ($set, $unset, $inc, $push, $rename, no-op), replacements, upserts,
find_one_and_update, and updates refused by a unique index (their rollback) runs against a
collection with single, compound, multikey, sparse, partial, unique, TTL, hashed and
wildcard indexes. Values mix the ones Python confuses (0, 0.0, False, None, "0", [0]). Both
runs must give the same outcome for every operation, the same documents, and index maps
equal entry by entry (keys, members, their ordinals, the next ordinal, TTL expiries). A
patch that skips a changed index must fail that comparison, so the comparison can fail.
"""

from embedded_mongo.tests.server_python import run_probe

PROBE = r"""
import datetime, random, sys
from embedded_mongo.patches import s_unchanged_index_keys as s
from embedded_mongo import patches

mode = sys.argv[1]
if mode == "off":
    s.apply = lambda memory: None
elif mode == "broken":
    # Wrong: skips an index when only its first field is unchanged.
    real_apply = s.apply
    def broken_apply(memory):
        real_apply(memory)
        patched = memory.MemoryEngine._update_indexes_locked
        for name, cell in zip(patched.__code__.co_freevars, patched.__closure__ or ()):
            if name == "unchanged":
                right = cell.cell_contents
                def wrong(index, old, new, _right=right):
                    first = index["fields"][0]
                    return old.get(first) == new.get(first) or _right(index, old, new)
                cell.cell_contents = wrong
    s.apply = broken_apply
patches.apply_patches()

# Count index entries taken out and put back (one undo record each, in mongoeco's upkeep).
from mongoeco.engines import memory
calls = [0]
record_undo = memory.MemoryEngine._record_index_membership_undo_locked
def counted(*args, **kwargs):
    calls[0] += 1
    return record_undo(*args, **kwargs)
memory.MemoryEngine._record_index_membership_undo_locked = counted

from mongoeco import MongoClient
from mongoeco.engines._memory_collection import MemoryIndexMap

rng = random.Random(41)
when = datetime.datetime(2030, 1, 1)
POOL = [0, 0.0, False, True, 1, 1.5, None, "0", "a", "b", [0], [1, 2], [], {"k": 1},
        when, when + datetime.timedelta(days=1)]
FIELDS = ["a", "b", "c", "tags", "s", "p", "q", "u", "t", "x", "y"]

client = MongoClient()
coll = client.db.things
coll.create_index("a")
coll.create_index([("b", 1), ("c", -1)])
coll.create_index("tags")
coll.create_index("s", sparse=True)
coll.create_index("q", partial_filter_expression={"p": {"$gt": 0}})
coll.create_index("u", unique=True, sparse=True)
coll.create_index("t", expire_after_seconds=10**9)
coll.create_index([("y", "hashed")])
coll.create_index([("$**", 1)])  # a wildcard: every field, none named

def value():
    return rng.choice(POOL)

def document():
    return {f: value() for f in rng.sample(FIELDS, rng.randint(1, 6)) if f != "u"}

ids = list(range(60))
for i in ids:
    coll.insert_one({"_id": i, **document()})

def update():
    roll = rng.random()
    field = rng.choice(FIELDS)
    if roll < 0.35:
        return {"$set": {f: value() for f in rng.sample(FIELDS, rng.randint(1, 3))}}
    if roll < 0.45:
        return {"$unset": {field: ""}}
    if roll < 0.55:
        return {"$set": {"u": rng.randint(0, 8)}}  # collides now and then: refused
    if roll < 0.65:
        return {"$push": {"tags": value()}}
    if roll < 0.72:
        return {"$rename": {field: rng.choice(FIELDS)}} if field != "u" else {"$set": {"x": 1}}
    if roll < 0.8:
        return {"$inc": {"x": 1}}
    return {"$set": {"x": value(), "y": value()}}

outcomes = []
for step in range(1500):
    target = {"_id": rng.choice(ids + [999])}
    roll = rng.random()
    try:
        if roll < 0.7:
            r = coll.update_one(target, update(), upsert=rng.random() < 0.05)
            outcomes.append(("u", r.matched_count, r.modified_count))
        elif roll < 0.8:
            r = coll.replace_one(target, document())
            outcomes.append(("r", r.matched_count, r.modified_count))
        elif roll < 0.9:
            got = coll.find_one_and_update(target, update())
            outcomes.append(("f", repr(got)))
        else:
            r = coll.update_many({"a": rng.choice(POOL[:8])}, {"$set": {"y": value()}})
            outcomes.append(("m", r.matched_count, r.modified_count))
    except Exception as error:
        outcomes.append(("error", type(error).__name__))

engine = client._async_client._engine
index_data = engine._index_data["db"]["things"]
dump = []
for name in sorted(index_data):
    index_map = index_data[name]
    assert isinstance(index_map, MemoryIndexMap), type(index_map)
    entries = sorted(
        (repr(key), sorted((repr(member), index_map._bucket_ordinals[key][member])
                           for member in index_map[key]))
        for key in index_map._buckets.keys()
    )
    expiries = sorted((repr(k), repr(v[0])) for k, v in index_map._expiry_by_storage.items())
    dump.append((name, entries, index_map._next_membership_ordinal, expiries))
documents = sorted(repr(d) for d in coll.find({}))
kinds = sorted({o[1] for o in outcomes if o[0] == "error"})
assert "DuplicateKeyError" in kinds, kinds  # the rollback path ran
print(repr((outcomes, dump, documents)))
print(calls[0])
"""


def _run(mode: str) -> tuple[str, int]:
    state, calls = run_probe(PROBE, mode, timeout=300).rsplit("\n", 2)[:2]
    return state, int(calls)


def test_indexes_end_as_mongoecos_own_upkeep_leaves_them():
    (patched, patched_calls), (original, original_calls) = _run("on"), _run("off")
    assert patched == original
    # and the patch did skip upkeep (most updates change few indexed fields)
    assert patched_calls < original_calls * 0.8


def test_the_comparison_catches_an_index_left_stale():
    assert _run("broken")[0] != _run("off")[0]
