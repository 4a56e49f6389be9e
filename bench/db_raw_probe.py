"""Raw pymongo insert throughput of the embedded server, with and without its engine fixes.

Run: .venv/bin/python -m bench.db_raw_probe [--total N] [--unpatched-total N]

Single insert_one calls into a collection with a single-field unique index and a compound
unique index, timed per batch of 1,000; the unpatched server (EMBEDDED_MONGO_NO_PATCHES=1)
only gets the first few thousand documents, since it slows down with every document.
"""

import argparse
import time

from bson import ObjectId
from pymongo import ASCENDING, MongoClient

from config.embedded_mongo import EmbeddedMongo

BATCH = 1_000


def probe(uri: str, total: int) -> list[float]:
    """Insert total documents one by one; returns documents/s of each batch."""
    with MongoClient(uri) as client:
        client.drop_database("raw_probe")
        coll = client.raw_probe.scores
        coll.create_index("token", unique=True)
        coll.create_index([("mentee", ASCENDING), ("mentor", ASCENDING)], unique=True)
        rates = []
        for start in range(0, total, BATCH):
            began = time.perf_counter()
            for i in range(start, min(start + BATCH, total)):
                coll.insert_one(
                    {
                        "_id": ObjectId(),
                        "token": f"token-{i}",
                        "mentee": f"mentee{i // 50}@bench.edu",
                        "mentor": f"mentor{i % 50}@bench.edu",
                        "score": float(i % 100),
                    }
                )
            rates.append((min(start + BATCH, total) - start) / (time.perf_counter() - began))
        assert coll.count_documents({}) == total
        client.drop_database("raw_probe")
    return rates


def report(label: str, rates: list[float]) -> None:
    """Print first/last batch rates and the per-batch series."""
    series = ", ".join(f"{rate:.0f}" for rate in rates)
    print(f"{label}: first batch {rates[0]:.0f} docs/s, last batch {rates[-1]:.0f} docs/s")
    print(f"  per batch of {BATCH}: {series}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--total", type=int, default=20_000)
    parser.add_argument("--unpatched-total", type=int, default=3_000)
    args = parser.parse_args()
    with EmbeddedMongo() as server:
        report(f"patched, {args.total} docs", probe(server.uri, args.total))
    if args.unpatched_total:
        with EmbeddedMongo(env={"EMBEDDED_MONGO_NO_PATCHES": "1"}) as server:
            report(
                f"unpatched, {args.unpatched_total} docs",
                probe(server.uri, args.unpatched_total),
            )


if __name__ == "__main__":
    main()
