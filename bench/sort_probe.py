"""Sorted reads on the embedded server, with and without FIX(m) (embedded_mongo/patches/).

Run: .venv/bin/python -m bench.sort_probe [--queries N] [--long-queries N]

Not a `make bench` section (it writes no results; it starts its own two servers, so run it
by hand on a quiet machine). A Message-shaped collection of 10,000 documents with the
chat's index (sender, recipient, -created_at), in two layouts:
* 100 conversations of 100 messages: --queries (1,000) reads of one conversation's newest
  page, as chat.services.list_messages sends it (find, sort created_at/_id descending,
  limit 21), then the same as an aggregation ($match, $sort, $limit);
* one conversation of 10,000 messages: --long-queries (20) such reads.
Each runs against a server with every patch and one with EMBEDDED_MONGO_NO_NATIVE_SORT=1;
it checks both return the same documents and prints the median and mean per query.
"""

import argparse
import datetime
import statistics
import time

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, MongoClient

from embedded_mongo import EmbeddedMongo

DOCUMENTS = 10_000
PAGE = 21
BASE = datetime.datetime(2024, 1, 1)


def _documents(conversations: int) -> list[dict]:
    return [
        {
            "_id": ObjectId(),
            "sender": f"s{i % conversations}@bench.edu",
            "recipient": f"r{i % conversations}@bench.edu",
            "body": "x" * 80,
            # Some equal timestamps, so the _id tie-break matters.
            "created_at": BASE + datetime.timedelta(milliseconds=i // 3),
            "read_at": None,
        }
        for i in range(DOCUMENTS)
    ]


def _time(run, count: int) -> tuple[list, float, float]:
    samples, result = [], None
    for _ in range(count):
        began = time.perf_counter()
        result = run()
        samples.append(time.perf_counter() - began)
    return result, statistics.median(samples) * 1000, statistics.fmean(samples) * 1000


def _measure(uri: str, documents: list[dict], queries: int) -> dict[str, tuple]:
    with MongoClient(uri) as client:
        client.drop_database("sort_probe")
        messages = client.sort_probe.messages
        messages.create_index(
            [("sender", ASCENDING), ("recipient", ASCENDING), ("created_at", DESCENDING)]
        )
        messages.insert_many([dict(d) for d in documents], ordered=False)
        pair = {"sender": "s0@bench.edu", "recipient": "r0@bench.edu"}
        sort = [("created_at", DESCENDING), ("_id", DESCENDING)]
        found = {}
        found["find"] = _time(
            lambda: [d["_id"] for d in messages.find(pair).sort(sort).limit(PAGE)], queries
        )
        pipeline = [{"$match": pair}, {"$sort": dict(sort)}, {"$limit": PAGE}]
        found["aggregate"] = _time(
            lambda: [d["_id"] for d in messages.aggregate(pipeline)], queries
        )
        client.drop_database("sort_probe")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--long-queries", type=int, default=20)
    args = parser.parse_args()
    layouts = [(100, args.queries), (1, args.long_queries)]
    # The same documents (and so the same _ids, the tie-break) on both servers.
    documents = {conversations: _documents(conversations) for conversations, _ in layouts}
    runs = {}
    for label, env in (("with FIX(m)", {}), ("without", {"EMBEDDED_MONGO_NO_NATIVE_SORT": "1"})):
        with EmbeddedMongo(env=env) as server:
            runs[label] = [_measure(server.uri, documents[c], q) for c, q in layouts]
    print(f"{DOCUMENTS:,} documents, page of {PAGE}; ms per query (median / mean)")
    for index, (conversations, queries) in enumerate(layouts):
        matching = DOCUMENTS // conversations
        for shape in ("find", "aggregate"):
            with_m, without = runs["with FIX(m)"][index][shape], runs["without"][index][shape]
            assert with_m[0] == without[0], "different results"
            print(
                f"{matching:>6,} matching, {shape:<9} × {queries:>5}: "
                f"with FIX(m) {with_m[1]:8.2f} / {with_m[2]:8.2f}   "
                f"without {without[1]:8.2f} / {without[2]:8.2f}   "
                f"({without[1] / with_m[1]:.1f}× faster)"
            )


if __name__ == "__main__":
    main()
