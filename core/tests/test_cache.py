"""The MongoDB cache backend the limits count in (core/cache.py)."""

from datetime import UTC, datetime, timedelta

import pymongo
import pytest
from django.conf import settings
from django.core.cache import caches
from django.db import connection

pytestmark = pytest.mark.django_db(transaction=True)


def _collection():
    return connection.database[settings.CACHES["limits"]["LOCATION"]]


def test_set_get_delete_and_values_of_any_kind(cache):
    cache.set("n", 3, 60)
    cache.set("obj", {"a": [1, 2]}, 60)

    assert cache.get("n") == 3
    assert cache.get("obj") == {"a": [1, 2]}
    assert cache.get("missing", "dflt") == "dflt"
    assert cache.delete("n") is True
    assert cache.delete("n") is False
    assert cache.get("n") is None


def test_add_only_when_absent_or_expired(cache):
    assert cache.add("k", 1, 60) is True
    assert cache.add("k", 2, 60) is False
    assert cache.get("k") == 1
    # An entry past its expiry counts as absent even before the TTL monitor removes it.
    _collection().update_many({}, {"$set": {"expires_at": datetime.now(UTC) - timedelta(1)}})
    assert cache.get("k") is None
    assert cache.add("k", 5, 60) is True
    assert cache.get("k") == 5


def test_incr_needs_a_live_integer(cache):
    with pytest.raises(ValueError):
        cache.incr("absent")
    cache.set("k", 1, 60)
    assert cache.incr("k") == 2
    assert cache.incr("k", 5) == 7
    assert cache.decr("k") == 6
    _collection().update_many({}, {"$set": {"expires_at": datetime.now(UTC) - timedelta(1)}})
    with pytest.raises(ValueError):
        cache.incr("k")


def test_expiry_is_a_ttl_index_and_none_never_expires(cache):
    cache.set("forever", 1, None)
    cache.set("soon", 1, 30)

    ttl = [ix for ix in _collection().index_information().values() if "expireAfterSeconds" in ix]
    assert [(ix["key"], ix["expireAfterSeconds"]) for ix in ttl] == [([("expires_at", 1)], 0)]
    docs = {d["_id"]: d["expires_at"] for d in _collection().find()}
    assert docs[cache.make_key("forever")].year == 9999
    soon = docs[cache.make_key("soon")].replace(tzinfo=UTC) - datetime.now(UTC)
    assert timedelta(seconds=25) < soon <= timedelta(seconds=30)
    assert cache.touch("soon", None) is True
    assert cache.touch("absent", 10) is False


def test_incr_is_atomic_under_threads(cache, all_at_once):
    cache.set("hits", 0, 60)

    def hammer():
        store = caches["limits"]  # one instance (and connection) per thread
        return [store.incr("hits") for _ in range(25)]

    results = all_at_once([hammer] * 8)

    returned = sorted(n for batch in results for n in batch)
    assert returned == list(range(1, 201))  # every increment counted once, none lost
    assert cache.get("hits") == 200


def test_add_has_one_winner_under_threads(cache, all_at_once):
    results = all_at_once([lambda: caches["limits"].add("first", 1, 60)] * 8)

    assert sorted(results) == [False] * 7 + [True]


def test_the_store_is_the_database_another_client_sees_the_counter(cache):
    cache.set("shared", 0, 60)
    cache.incr("shared", 41)

    # A client of its own, as another worker process would have.
    with pymongo.MongoClient(settings.DATABASES["default"]["HOST"]) as other:
        database = other[connection.settings_dict["NAME"]]
        collection = database[settings.CACHES["limits"]["LOCATION"]]
        collection.update_one({"_id": cache.make_key("shared")}, {"$inc": {"v": 1}})
        assert collection.find_one({"_id": cache.make_key("shared")})["v"] == 42

    assert cache.get("shared") == 42
