"""FIX(r): projections give what the original gives, and share no container with the stored
document.

The comparison runs in the embedded server's own Python (mongoeco lives there): a seeded
corpus of nested documents mixing plain values with mongoeco's special types is projected
by the original and the patched code with random inclusion and exclusion projections (top
level and dotted, with and without _id, with $slice), compared by value, key order and
type. Every list and dict of a result must be a new object (a later write to the stored
document must not show through a reply). A deliberately wrong copy (lists passed through
as they are) must fail that check, so the comparison can fail.
"""

from embedded_mongo.tests.server_python import run_probe

PROBE = r"""
import datetime, random, sys
from mongoeco import types as t
from mongoeco.core import bson_scalars as b
from mongoeco.core import projections
from embedded_mongo.patches import i_immutable_deepcopy, r_projection_copies

i_immutable_deepcopy.apply()  # as the server applies it, before (r)
original_apply = projections._apply_parsed_projection
original_value = projections._project_inclusion_value
r_projection_copies.apply()
patched_apply = projections._apply_parsed_projection
patched_value = projections._project_inclusion_value
assert patched_apply.original is original_apply
assert projections._project_inclusion_value.original is original_value

if sys.argv[1] == "broken":
    # A wrong copy: lists kept as they are, so a reply shares them with the stored document.
    copy_value = patched_apply.copy_value
    def wrong(value, _right=copy_value):
        return value if type(value) is list else _right(value)
    # Rebind the patch's copy through its closure cell (the name both functions use).
    for function in (patched_apply, projections._project_inclusion_value):
        for name, cell in zip(function.__code__.co_freevars, function.__closure__ or ()):
            if name == "copy_value":
                cell.cell_contents = wrong

rng = random.Random(29)
aware = datetime.datetime(2026, 5, 1, 12, 30, tzinfo=datetime.timezone.utc)
SPECIAL = [
    lambda: t.ObjectId(), lambda: t.Binary(b"\x01\x02", subtype=5), lambda: b"raw",
    lambda: t.Decimal128("1.25"), lambda: t.Regex("^a", "i"), lambda: t.Timestamp(5, 7),
    lambda: b.BsonInt64(2**40), lambda: b.BsonInt32(-5), lambda: b.BsonDouble(2.5),
    lambda: t.SON([("z", 1), ("a", t.ObjectId())]),
]
PLAIN = [
    lambda: "text é", lambda: rng.randint(-2**62, 2**62), lambda: rng.random(),
    lambda: rng.random() < 0.5, lambda: None, lambda: aware,
    lambda: datetime.datetime(2025, 1, 2, 3, 4, 5, 678000),
]
FIELDS = [f"f{i}" for i in range(8)]
SUB = ["a", "b", "c"]

def value(depth):
    roll = rng.random()
    if depth < 3 and roll < 0.25:
        return {k: value(depth + 1) for k in rng.sample(SUB, rng.randint(0, 3))}
    if depth < 3 and roll < 0.45:
        return [value(depth + 1) for _ in range(rng.randint(0, 4))]
    return rng.choice(SPECIAL if roll < 0.6 else PLAIN)()

def projection():
    flag = rng.choice([0, 1])
    spec = {}
    for field in rng.sample(FIELDS, rng.randint(1, 4)):
        path = field + ("." + rng.choice(SUB) if rng.random() < 0.25 else "")
        if not any(path.startswith(p + ".") or p.startswith(path + ".") for p in spec):
            spec[path] = flag
    roll = rng.random()
    if roll < 0.3:
        spec["_id"] = 0
    elif roll < 0.4:
        spec["_id"] = 1
    if rng.random() < 0.1:
        spec[rng.choice(FIELDS) + "_s"] = {"$slice": 1}
    return spec

def same(a, b):
    # Equal values, the same key order and the same types all the way down.
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b

def containers(value):
    if isinstance(value, (dict, list)):
        yield value
        for item in value.values() if isinstance(value, dict) else value:
            yield from containers(item)

checked = differ = shared = 0
for _ in range(2000):
    document = {"_id": t.ObjectId(), **{f: value(0) for f in rng.sample(FIELDS, rng.randint(1, 8))}}
    for field in list(document):
        if rng.random() < 0.2 and field != "_id":
            document[field + "_s"] = [value(2) for _ in range(3)]
    spec = projection()
    try:
        executor = projections._ProjectionExecutor(spec)
    except Exception:
        continue  # a projection mongoeco refuses: neither path runs
    parsed, root = executor._parsed, executor._root
    kwargs = dict(selector_filter=None, dialect=executor._dialect)
    projections._project_inclusion_value = original_value  # the original, all through
    try:
        want = original_apply(document, parsed, root, **kwargs)
    finally:
        projections._project_inclusion_value = patched_value
    got = patched_apply(document, parsed, root, **kwargs)
    checked += 1
    if not same(want, got):
        differ += 1
    originals = {id(c) for c in containers(document)}
    if any(id(c) in originals for c in containers(got)):
        shared += 1
print(checked, differ, shared)
"""


def _probe(mode: str) -> tuple[int, int, int]:
    checked, differ, shared = run_probe(PROBE, mode).split()
    return int(checked), int(differ), int(shared)


def test_projections_equal_the_originals_and_share_no_container():
    checked, differ, shared = _probe("patched")
    assert checked > 1500
    assert (differ, shared) == (0, 0)


def test_the_comparison_catches_a_copy_that_shares_lists():
    checked, differ, shared = _probe("broken")
    assert checked > 1500 and differ == 0 and shared > 0
