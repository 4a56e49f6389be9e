"""A patched server and a reference server side by side, for the tests that compare a speed
patch's results with mongoeco's own."""

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
