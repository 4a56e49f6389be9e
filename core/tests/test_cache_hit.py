"""The MongoDB cache's one-round-trip counter and get_many (core/cache.py), which the
rate limits and lockouts use (core/ratelimit.py)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import caches

from core.db_commands import counting
from core.tests.test_cache import _collection

pytestmark = pytest.mark.django_db(transaction=True)


def test_hit_starts_at_one_then_counts_in_one_command_each(cache):
    cache.hit("w", 60)  # the process's first use may ensure the TTL index
    cache.delete("w")
    with counting() as log, log.recording() as commands:
        counts = [cache.hit("w", 60) for _ in range(3)]

    assert counts == [1, 2, 3]
    assert [name for name, _ in commands] == ["findAndModify"] * 3
    assert cache.get("w") == 3


def test_hit_restarts_an_expired_counter_with_a_new_expiry(cache):
    cache.hit("w", 60)
    cache.hit("w", 60)
    past = datetime.now(UTC) - timedelta(seconds=1)
    _collection().update_one({"_id": cache.make_key("w")}, {"$set": {"expires_at": past}})

    assert cache.hit("w", 30) == 1
    expires = _collection().find_one({"_id": cache.make_key("w")})["expires_at"]
    left = expires.replace(tzinfo=UTC) - datetime.now(UTC)
    assert timedelta(seconds=25) < left <= timedelta(seconds=30)


def test_hit_keeps_the_window_expiry_while_live(cache):
    cache.hit("w", 30)
    first = _collection().find_one({"_id": cache.make_key("w")})["expires_at"]

    cache.hit("w", 300)

    assert _collection().find_one({"_id": cache.make_key("w")})["expires_at"] == first


def test_hit_counts_every_hit_once_under_threads_from_no_counter(cache, all_at_once):
    results = all_at_once([lambda: [caches["limits"].hit("race", 60) for _ in range(25)]] * 8)

    assert sorted(n for batch in results for n in batch) == list(range(1, 201))


def test_get_many_reads_the_live_keys_in_one_command(cache):
    cache.set("a", 1, 60)
    cache.set("b", "two", 60)
    cache.set("old", 3, 60)
    past = datetime.now(UTC) - timedelta(seconds=1)
    _collection().update_one({"_id": cache.make_key("old")}, {"$set": {"expires_at": past}})

    with counting() as log, log.recording() as commands:
        found = cache.get_many(["a", "b", "old", "missing"])

    assert found == {"a": 1, "b": "two"}
    assert [name for name, _ in commands] == ["find"]


def test_a_new_threads_cache_instance_does_not_create_the_ttl_index_again(cache, all_at_once):
    cache.get("warm")  # this process has ensured the index

    def in_another_thread():
        return caches["limits"].get("k")  # Django gives each thread its own instance

    with counting() as log, log.recording() as commands:
        all_at_once([in_another_thread])

    assert [name for name, _ in commands] == ["find"]
