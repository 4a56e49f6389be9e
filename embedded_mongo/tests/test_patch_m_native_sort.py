"""FIX(m): sorts return exactly what mongoeco returns without the patch.

Two embedded servers get the same documents and the same queries: the session's (patched;
or one started here when the session runs on a real MongoDB) and a reference started with
EMBEDDED_MONGO_NO_NATIVE_SORT=1 (mongoeco's own sort). Order is compared by _id, since NaN
makes whole documents unequal to themselves.
"""

import datetime
import uuid

import pytest
from bson import Decimal128, ObjectId
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pymongo import ASCENDING, DESCENDING

from embedded_mongo.tests.reference_servers import patched_and_reference
from embedded_mongo.tests.server_python import run_probe

OFF = {"EMBEDDED_MONGO_NO_NATIVE_SORT": "1"}


@pytest.fixture(scope="module")
def servers():
    """(patched client, reference client), each on a throwaway database."""
    with patched_and_reference(OFF, "test_sort") as pair:
        yield pair


def test_the_reference_server_really_runs_without_the_patch():
    """The comparison below is not vacuous: the switch takes the patch out, and only it."""
    probe = (
        "from embedded_mongo.patches import apply_patches\n"
        "apply_patches()\n"
        "from mongoeco.core import sorting\n"
        "from mongoeco.engines import memory, semantic_core\n"
        "functions = (sorting.sort_documents_window, semantic_core.sort_documents,\n"
        "             memory.sort_documents)\n"
        "print(sorted({f.__module__ for f in functions}))\n"
    )

    def modules(env_extra):
        return run_probe(probe, env=env_extra, timeout=60).strip()

    assert modules({}) == "['embedded_mongo.patches.m_native_sort']"
    assert modules(OFF) == "['mongoeco.core.sorting']"


def _load(servers, documents, indexes=(("a", ASCENDING), ("t", DESCENDING))):
    collection_name = f"c{uuid.uuid4().hex[:8]}"
    pair = tuple(database[collection_name] for database in servers)
    for collection in pair:
        if indexes:
            collection.create_index(list(indexes))
        if documents:
            collection.insert_many([dict(document) for document in documents])
    return pair


def _ids(documents):
    return [document["_id"] for document in documents]


def _same_results(pair, filter_, sort, *, limit=None, skip=0):
    """find(...).sort().skip().limit() and the $match/$sort/$skip/$limit pipeline agree."""
    pipeline = [{"$match": filter_}, {"$sort": dict(sort)}]
    if skip:
        pipeline.append({"$skip": skip})
    if limit:
        pipeline.append({"$limit": limit})
    results = []
    for collection in pair:
        cursor = collection.find(filter_).sort(sort).skip(skip)
        if limit:
            cursor = cursor.limit(limit)
        results.append((_ids(cursor), _ids(collection.aggregate(pipeline))))
    assert results[0] == results[1], (filter_, sort, limit, skip)
    return results[0][0]


def _oid(number: int) -> ObjectId:
    return ObjectId(f"{number:024x}")


BASE = datetime.datetime(2024, 5, 1, 12, 0, 0)
# Each case: the values of t (None: null, ...: missing) in insertion order.
CASES = {
    "datetimes with ties": [BASE, BASE, BASE + datetime.timedelta(seconds=1), BASE],
    "missing and null": [BASE, None, ..., BASE, None],
    "strings, non-ASCII": ["b", "a", "é", "\U0001f600", "a", "B", ""],
    "ints": [3, -1, 3, 0, 2**40, -(2**40)],
    "floats with nan": [1.5, float("nan"), -0.0, 0.0, float("inf"), 1.5],
    "ints and floats": [1, 1.0, 0.5, 2, 2.0],
    "bools": [True, False, True, None],
    "object ids": [_oid(5), _oid(1), _oid(5), _oid(3)],
    "mixed types": [1, "1", BASE, None, True, _oid(1), [2, 0], {"x": 1}, Decimal128("1.5")],
    "arrays": [[3, 1], [2], [], 5, [1, 9]],
    "aware and naive": [BASE, BASE.replace(tzinfo=datetime.UTC)],
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_table_of_cases(servers, case):
    documents = []
    for number, value in enumerate(CASES[case]):
        document = {"_id": _oid(100 - number), "a": "x" if number % 3 else "y", "n": number}
        if value is not ...:
            document["t"] = value
        documents.append(document)
    pair = _load(servers, documents)
    for filter_ in ({"a": "x"}, {}):
        for direction in (ASCENDING, DESCENDING):
            for sort in ([("t", direction)], [("t", direction), ("_id", -direction)]):
                for limit in (None, 1, 2, 50):
                    _same_results(pair, filter_, sort, limit=limit)
            _same_results(pair, filter_, [("t", direction)], limit=2, skip=1)


def test_descending_page_by_created_at_then_id(servers):
    """The chat's query: a pair's messages, newest first, ties by _id, one page + 1."""
    documents = [
        {
            "_id": _oid(1000 + (number * 7) % 50),
            "sender": "a" if number % 2 else "b",
            "recipient": "b" if number % 2 else "a",
            "created_at": BASE + datetime.timedelta(milliseconds=number // 3),
        }
        for number in range(50)
    ]
    pair = _load(
        servers,
        documents,
        (("sender", ASCENDING), ("recipient", ASCENDING), ("created_at", DESCENDING)),
    )
    sort = [("created_at", DESCENDING), ("_id", DESCENDING)]
    ids = _same_results(pair, {"sender": "a", "recipient": "b"}, sort, limit=21)
    assert len(ids) == 21
    expected = sorted(
        (d for d in documents if d["sender"] == "a"),
        key=lambda d: (d["created_at"], d["_id"]),
        reverse=True,
    )
    assert ids == _ids(expected)[:21]  # MongoDB's order too


SCALARS = {
    "datetime": st.datetimes(
        min_value=datetime.datetime(1970, 1, 1), max_value=datetime.datetime(2100, 1, 1)
    ).map(lambda value: value.replace(microsecond=value.microsecond // 1000 * 1000)),
    "str": st.text(max_size=3),
    "int": st.integers(min_value=-(2**62), max_value=2**62),
    "float": st.floats(allow_nan=True),
    "bool": st.booleans(),
    "objectid": st.integers(min_value=0, max_value=20).map(_oid),
}
ANY_VALUE = st.one_of(
    *SCALARS.values(), st.lists(st.integers(min_value=-3, max_value=3), max_size=3)
)


@st.composite
def _column(draw):
    """A pool of values for one sort field: one type (the native path) or mixed."""
    kind = draw(st.sampled_from([*SCALARS, "mixed"]))
    values = ANY_VALUE if kind == "mixed" else SCALARS[kind]
    # A small pool, so that ties are common.
    pool = draw(st.lists(values, min_size=1, max_size=4))
    return pool + [None, ...]


@st.composite
def _case(draw):
    t_pool, u_pool = draw(_column()), draw(_column())
    count = draw(st.integers(min_value=0, max_value=25))
    documents = []
    for number in range(count):
        document = {"_id": _oid(draw(st.integers(0, 10**6)) * 100 + number)}
        for field, pool in (("a", ["x", "y", ...]), ("t", t_pool), ("u", u_pool)):
            value = draw(st.sampled_from(pool))
            if value is not ...:
                document[field] = value
        documents.append(document)
    return documents


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    documents=_case(),
    second=st.sampled_from(["_id", "u", None]),
    directions=st.tuples(st.sampled_from([1, -1]), st.sampled_from([1, -1])),
    limit=st.sampled_from([None, 1, 3, 30]),
)
def test_same_order_as_mongoeco(servers, documents, second, directions, limit):
    pair = _load(servers, documents)
    sort = [("t", directions[0])] + ([(second, directions[1])] if second else [])
    for filter_ in ({"a": "x"}, {}):
        _same_results(pair, filter_, sort, limit=limit)
    for collection in pair:
        collection.drop()
