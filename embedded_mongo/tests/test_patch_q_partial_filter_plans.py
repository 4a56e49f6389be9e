"""FIX(q): a partial index's filter is compiled once and the memo never mixes filters up.

In the embedded server's own Python (mongoeco lives there): filters that differ only in
what a careless key would merge (1 against 1.0, key order, the $type asked) each get the
plan the original compiles for them, a repeated filter gets the memoised plan, and a filter
that fails to compile fails every time. Over the wire: the partial unique indexes Django
makes (`{$type: ...}` filters) still admit and refuse what they did.
"""

import pytest
from pymongo.errors import DuplicateKeyError

from embedded_mongo.tests.server_python import run_probe

PROBE = r"""
from mongoeco.engines import virtual_indexes
from embedded_mongo.patches import q_partial_filter_plans

original = virtual_indexes.compile_filter
q_partial_filter_plans.apply()
memo = virtual_indexes.compile_filter
assert memo.original is original

filters = [
    {"a": {"$type": "string"}},
    {"a": {"$type": "objectId"}},
    {"a": 1},
    {"a": 1.0},
    {"a": {"$gt": 1}, "b": {"$type": "string"}},
    {"b": {"$type": "string"}, "a": {"$gt": 1}},
    {"a": {"$in": [1, "1"]}},
    {"$and": [{"a": {"$exists": True}}, {"b": None}]},
]
first = [memo(f) for f in filters]
for f, plan in zip(filters, first):
    assert plan == original(f), f
    assert memo(f) is plan, f  # memoised
assert len({repr(p) for p in first}) == len(filters), "two filters share a plan"
for _ in range(2):
    try:
        memo({"a": {"$nosuchoperator": 1}})
    except Exception:
        pass
    else:
        raise AssertionError("an invalid filter compiled")
assert len(memo.plans) == len(filters)
print("ok")
"""


def test_each_filter_gets_its_own_plan_once():
    assert run_probe(PROBE).split() == ["ok"]


def test_partial_unique_indexes_admit_and_refuse_as_before(mongo_db):
    # On the session's server (every patch applied): what MongoDB itself does.
    tokens = mongo_db.tokens
    tokens.create_index("jti", unique=True, partialFilterExpression={"jti": {"$type": "string"}})
    tokens.insert_many([{"n": 1}, {"n": 2}, {"jti": 7}, {"jti": 7}])  # outside the index
    tokens.insert_one({"jti": "a"})
    with pytest.raises(DuplicateKeyError):
        tokens.insert_one({"jti": "a"})
    tokens.insert_one({"jti": "b"})
    assert tokens.count_documents({}) == 6
