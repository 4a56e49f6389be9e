"""For the tests that compare a speed patch's results with mongoeco's own: a patched server
and a reference server side by side, and a comparable form of results."""

import contextlib
import os
import uuid

from pymongo import MongoClient

from embedded_mongo import EmbeddedMongo


@contextlib.contextmanager
def patched_and_reference(reference_env: dict, prefix: str):
    """(patched database, reference database), each a throwaway one: the session's server
    (or one started here when the session runs on a real MongoDB) and a server started with
    reference_env (the switch that leaves the patch out)."""
    started = []
    if os.environ.get("MONGODB_EMBEDDED") == "1":
        patched_uri = os.environ["MONGODB_URI"]
    else:
        started.append(EmbeddedMongo())
        patched_uri = started[-1].start()
    started.append(EmbeddedMongo(env=reference_env))
    reference_uri = started[-1].start()
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    try:
        with MongoClient(patched_uri) as patched, MongoClient(reference_uri) as reference:
            yield patched[name], reference[name]
            patched.drop_database(name)
    finally:
        for server in started:
            server.stop()


def typed(value):
    """value with every scalar paired with its type's name, and documents as (key, value)
    lists: equal only for results equal by value, key order and type (1 == 1.0 == True
    otherwise, and dicts compare without order). Importable in the server's Python too."""
    if isinstance(value, dict):
        return [(key, typed(item)) for key, item in value.items()]
    if isinstance(value, list):
        return [typed(item) for item in value]
    return (type(value).__name__, value)
