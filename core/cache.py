"""A Django cache backend over a MongoDB collection: the store the rate limits share.

The limits (core/ratelimit.py) must count across every gunicorn worker and every host,
so their counters live in the database itself: django-mongodb-backend 5.2.4 ships no cache
backend, and Django's memory cache is private to one process. It uses the connection of a
Django database alias (OPTIONS["DATABASE"], default "default"), so it follows MONGODB_URI.

One document per key: {_id: key, v: int} or {_id: key, p: pickled bytes}, and expires_at.
Reads ignore expired entries; a TTL index on expires_at lets the server delete them (its
monitor runs about once a minute). What django-ratelimit relies on is atomic on one
document: add (an upsert that only replaces an expired entry, so a live one makes the
insert fail on the unique _id) and incr ($inc on a live entry).
"""

import pickle
import time
from datetime import UTC, datetime

from bson import Binary
from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.db import connections
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

# timeout=None means "never expires"; a date the TTL monitor will not reach.
NEVER = datetime(9999, 12, 31, tzinfo=UTC)
_INT64 = range(-(2**63), 2**63)
# (database, collection) pairs whose TTL index this process has ensured. Per process, not
# per instance: Django keeps one cache instance per thread, so a per-instance record made
# every new gthread worker thread pay a createIndexes round trip on its first request.
_INDEXED: set[tuple[str, str]] = set()


class MongoCache(BaseCache):
    def __init__(self, location, params):
        super().__init__(params)
        self._collection_name = location or "django_cache"
        self._alias = params.get("OPTIONS", {}).get("DATABASE", "default")

    @property
    def _collection(self):
        database = connections[self._alias].database
        collection = database[self._collection_name]
        if (database.name, self._collection_name) not in _INDEXED:
            collection.create_index("expires_at", expireAfterSeconds=0)
            _INDEXED.add((database.name, self._collection_name))
        return collection

    def _expires_at(self, timeout) -> datetime:
        seconds = self.get_backend_timeout(timeout)
        if seconds is None:
            return NEVER
        return datetime.fromtimestamp(seconds, UTC)

    def get_backend_timeout(self, timeout=DEFAULT_TIMEOUT):
        """An absolute Unix time (or None for never), as the database and file caches do."""
        if timeout is DEFAULT_TIMEOUT:
            timeout = self.default_timeout
        if timeout is None:
            return None
        return time.time() + timeout

    def _document(self, value, timeout) -> dict:
        # Integers are stored as such so that incr is one $inc; anything else is pickled.
        if type(value) is int and value in _INT64:
            stored = {"v": value}
        else:
            stored = {"p": Binary(pickle.dumps(value, pickle.HIGHEST_PROTOCOL))}
        return {**stored, "expires_at": self._expires_at(timeout)}

    @staticmethod
    def _value(document):
        if "v" in document:
            return document["v"]
        return pickle.loads(document["p"])

    @staticmethod
    def _live(key: str) -> dict:
        return {"_id": key, "expires_at": {"$gt": datetime.now(UTC)}}

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        key = self.make_and_validate_key(key, version=version)
        expired = {"_id": key, "expires_at": {"$lte": datetime.now(UTC)}}
        try:
            self._collection.replace_one(expired, self._document(value, timeout), upsert=True)
        except DuplicateKeyError:
            return False  # a live entry holds the key
        return True

    def get(self, key, default=None, version=None):
        key = self.make_and_validate_key(key, version=version)
        document = self._collection.find_one(self._live(key))
        return default if document is None else self._value(document)

    def get_many(self, keys, version=None):
        """One find for all the keys (BaseCache's get_many is a get per key)."""
        stored = {self.make_and_validate_key(key, version=version): key for key in keys}
        if not stored:
            return {}
        found = self._collection.find(
            {"_id": {"$in": list(stored)}, "expires_at": {"$gt": datetime.now(UTC)}}
        )
        return {stored[document["_id"]]: self._value(document) for document in found}

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        key = self.make_and_validate_key(key, version=version)
        self._collection.replace_one({"_id": key}, self._document(value, timeout), upsert=True)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        key = self.make_and_validate_key(key, version=version)
        result = self._collection.update_one(
            self._live(key), {"$set": {"expires_at": self._expires_at(timeout)}}
        )
        return result.matched_count == 1

    def incr(self, key, delta=1, version=None):
        key = self.make_and_validate_key(key, version=version)
        document = self._collection.find_one_and_update(
            {**self._live(key), "v": {"$exists": True}},
            {"$inc": {"v": delta}},
            projection={"v": True},
            return_document=ReturnDocument.AFTER,
        )
        if document is None:
            raise ValueError(f"Key '{key}' not found or not an integer.")
        return document["v"]

    def hit(self, key, timeout=DEFAULT_TIMEOUT, version=None) -> int:
        """Add one to a live integer counter, or start it at 1 with this timeout when it is
        missing or expired; the count after. What add() then incr() do for a fixed-window
        rate limit, in one round trip: one upsert with an update pipeline, atomic on the
        document (core/ratelimit.py)."""
        key = self.make_and_validate_key(key, version=version)
        live = {"$gt": ["$expires_at", datetime.now(UTC)]}
        update = [
            {
                "$set": {
                    "v": {"$cond": [live, {"$add": ["$v", 1]}, 1]},
                    "expires_at": {"$cond": [live, "$expires_at", self._expires_at(timeout)]},
                }
            }
        ]
        try:
            document = self._upsert_counter(key, update)
        except DuplicateKeyError:
            # Two first hits raced to insert the key and the other one won: now it exists.
            document = self._upsert_counter(key, update)
        return document["v"]

    def _upsert_counter(self, key, update) -> dict:
        return self._collection.find_one_and_update(
            {"_id": key},
            update,
            projection={"v": True},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )

    def delete(self, key, version=None):
        key = self.make_and_validate_key(key, version=version)
        return self._collection.delete_one({"_id": key}).deleted_count == 1

    def has_key(self, key, version=None):
        key = self.make_and_validate_key(key, version=version)
        return self._collection.count_documents(self._live(key), limit=1) == 1

    def clear(self):
        self._collection.delete_many({})
