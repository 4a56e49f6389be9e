"""Raw pymongo write throughput of the embedded server, with and without its speed fixes.

Run: .venv/bin/python -m bench.db_raw_probe [--total N] [--small-total N] [--baseline]
[--durable]

A Score-shaped collection (matching.models.Score's indexes: unique (mentee_email,
mentor_email), (mentee_email, -score), (mentor_email)) grows to --total documents by
insert_many(1,000) and, separately, by insert_one; then --small-total upserts by the pair
($set/$setOnInsert, half of them new pairs) and conditional update_many calls by the pair
plus score <= 100. Rates are per batch (1,000 inserts, 200 upserts/updates). --baseline
runs the same against a server with EMBEDDED_MONGO_NO_SPEED_PATCHES=1 (fixes (g)-(i) off).
--durable gives the server a temporary data dir, so every write goes through the journal
(fsynced before the reply), as under `make run`.
"""

import argparse
import datetime
import tempfile
import time
from pathlib import Path

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, MongoClient

from embedded_mongo import EmbeddedMongo

BATCH = 1_000
SMALL_BATCH = 200


def _pair(i: int) -> tuple[str, str]:
    return f"mentee{i // 50}@bench.edu", f"mentor{i % 50}@bench.edu"


def _doc(i: int) -> dict:
    mentee, mentor = _pair(i)
    now = datetime.datetime.now(datetime.UTC)
    return {
        "_id": ObjectId(),
        "mentee_email": mentee,
        "mentor_email": mentor,
        "score": float(i % 100),
        "text": 0.0,
        "year": 0.0,
        "categories": 0.0,
        "created_at": now,
        "updated_at": now,
    }


def _timed(total: int, batch: int, work) -> list[float]:
    rates = []
    for start in range(0, total, batch):
        stop = min(start + batch, total)
        began = time.perf_counter()
        work(start, stop)
        rates.append((stop - start) / (time.perf_counter() - began))
    return rates


def _fresh(client: MongoClient):
    client.drop_database("raw_probe")
    coll = client.raw_probe.score
    coll.create_index([("mentee_email", ASCENDING), ("mentor_email", ASCENDING)], unique=True)
    coll.create_index([("mentee_email", ASCENDING), ("score", DESCENDING)])
    coll.create_index("mentor_email")
    return coll


def probe(uri: str, total: int, small_total: int) -> dict[str, list[float]]:
    """Run the four phases; returns documents/s of each batch per phase."""
    phases = {}
    with MongoClient(uri) as client:
        coll = _fresh(client)
        phases["insert_many"] = _timed(
            total, BATCH, lambda a, b: coll.insert_many([_doc(i) for i in range(a, b)])
        )
        assert coll.count_documents({}) == total
        coll = _fresh(client)

        def single(a, b):
            for i in range(a, b):
                coll.insert_one(_doc(i))

        phases["insert_one"] = _timed(total, BATCH, single)
        assert coll.count_documents({}) == total

        def upsert(a, b):
            for i in range(a, b):
                mentee, mentor = _pair(i * 10 if i % 2 == 0 else total + i)
                now = datetime.datetime.now(datetime.UTC)
                coll.update_one(
                    {"mentee_email": mentee, "mentor_email": mentor},
                    {
                        "$set": {"score": 50.0, "updated_at": now},
                        "$setOnInsert": {"text": 0.0, "year": 0.0, "categories": 0.0},
                    },
                    upsert=True,
                )

        phases["upsert"] = _timed(small_total, SMALL_BATCH, upsert)

        def conditional(a, b):
            for i in range(a, b):
                mentee, mentor = _pair(i * 7)
                coll.update_many(
                    {"mentee_email": mentee, "mentor_email": mentor, "score": {"$lte": 100.0}},
                    {"$set": {"score": -1.0}},
                )

        phases["conditional_update"] = _timed(small_total, SMALL_BATCH, conditional)
        assert coll.count_documents({"score": -1.0}) == small_total
        client.drop_database("raw_probe")
    return phases


def report(label: str, phases: dict[str, list[float]]) -> None:
    """Print first/last batch rates and the per-batch series of each phase."""
    print(label)
    for name, rates in phases.items():
        series = ", ".join(f"{rate:.0f}" for rate in rates)
        print(f"  {name}: first batch {rates[0]:.0f} docs/s, last batch {rates[-1]:.0f} docs/s")
        print(f"    per batch: {series}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--total", type=int, default=20_000)
    parser.add_argument("--small-total", type=int, default=2_000)
    parser.add_argument("--baseline", action="store_true", help="also run without (g)-(i)")
    parser.add_argument("--durable", action="store_true", help="journaled server (data dir)")
    args = parser.parse_args()
    runs = [("with speed fixes", {})]
    if args.baseline:
        runs.insert(
            0,
            (
                "baseline (EMBEDDED_MONGO_NO_SPEED_PATCHES=1)",
                {"EMBEDDED_MONGO_NO_SPEED_PATCHES": "1"},
            ),
        )
    for label, env in runs:
        with tempfile.TemporaryDirectory(prefix="raw-probe-") as scratch:
            data_dir = Path(scratch) / "mongo" if args.durable else None
            label += ", durable (journal)" if args.durable else ", in memory"
            with EmbeddedMongo(data_dir, env=env) as server:
                report(
                    f"{label}, {args.total} docs",
                    probe(server.uri, args.total, args.small_total),
                )


if __name__ == "__main__":
    main()
