"""The chat's sorted reads on the embedded server, with and without FIX(m) and FIX(n).

Run: .venv/bin/python -m bench.sort_probe [--queries N] [--long-queries N]

Not a `make bench` section (it writes no results; it starts its own three servers, so run
it by hand on a quiet machine). A Message-shaped collection of 10,000 documents with the
chat's indexes ((sender, recipient, -created_at) and (recipient, read_at)), in two layouts:
100 conversations of 100 messages (--queries reads each, default 1,000) and one of 10,000
(--long-queries, default 20). The reads, newest first by (created_at, _id), page of 21:
* "one direction": find({sender, recipient}) -- the sort alone (FIX(m));
* "one direction, aggregate": the same as $match, $sort, $limit;
* "both directions": chat.services.list_messages' $or of the two directions (FIX(m), (n));
* "conversations": chat.services.conversations' aggregation ($or, $sort, $group).
Each runs against a server with every patch, one with EMBEDDED_MONGO_NO_NATIVE_SORT=1 and
one with EMBEDDED_MONGO_NO_OR_LOOKUP=1; it checks that all return the same documents and
prints the median ms per query.
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
SERVERS = {
    "all patches": {},
    "without FIX(m)": {"EMBEDDED_MONGO_NO_NATIVE_SORT": "1"},
    "without FIX(n)": {"EMBEDDED_MONGO_NO_OR_LOOKUP": "1"},
}


def _documents(conversations: int) -> list[dict]:
    documents = []
    for i in range(DOCUMENTS):
        me, other = f"a{i % conversations}@bench.edu", f"b{i % conversations}@bench.edu"
        if (i // conversations) % 2:
            me, other = other, me
        documents.append(
            {
                "_id": ObjectId(),
                "sender": me,
                "recipient": other,
                "body": "x" * 80,
                # Some equal timestamps, so the _id tie-break matters.
                "created_at": BASE + datetime.timedelta(milliseconds=i // 3),
                "read_at": None if i % 2 else BASE,
            }
        )
    return documents


def _queries(messages) -> dict:
    me, other = "a0@bench.edu", "b0@bench.edu"
    one = {"sender": me, "recipient": other}
    both = {"$or": [one, {"sender": other, "recipient": me}]}
    sort = [("created_at", DESCENDING), ("_id", DESCENDING)]
    others = [other, "b1@bench.edu"]
    unread = {
        "$and": [{"$eq": ["$recipient", me]}, {"$eq": [{"$ifNull": ["$read_at", None]}, None]}]
    }
    conversations = [
        {
            "$match": {
                "$or": [
                    {"sender": me, "recipient": {"$in": others}},
                    {"recipient": me, "sender": {"$in": others}},
                ]
            }
        },
        {"$sort": dict(sort)},
        {
            "$group": {
                "_id": {"$cond": [{"$eq": ["$sender", me]}, "$recipient", "$sender"]},
                "last": {"$first": "$$ROOT"},
                "unread": {"$sum": {"$cond": [unread, 1, 0]}},
            }
        },
        {"$sort": {"_id": 1}},
    ]
    return {
        "one direction": lambda: messages.find(one).sort(sort).limit(PAGE),
        "one direction, aggregate": lambda: messages.aggregate(
            [{"$match": one}, {"$sort": dict(sort)}, {"$limit": PAGE}]
        ),
        "both directions": lambda: messages.find(both).sort(sort).limit(PAGE),
        "conversations": lambda: messages.aggregate(conversations),
    }


def _measure(uri: str, documents: list[dict], queries: int) -> dict[str, tuple]:
    with MongoClient(uri) as client:
        client.drop_database("sort_probe")
        messages = client.sort_probe.messages
        messages.create_index(
            [("sender", ASCENDING), ("recipient", ASCENDING), ("created_at", DESCENDING)]
        )
        messages.create_index([("recipient", ASCENDING), ("read_at", ASCENDING)])
        messages.insert_many([dict(document) for document in documents], ordered=False)
        found = {}
        for shape, query in _queries(messages).items():
            samples, result = [], None
            for _ in range(queries):
                began = time.perf_counter()
                result = list(query())
                samples.append(time.perf_counter() - began)
            found[shape] = (result, statistics.median(samples) * 1000)
        client.drop_database("sort_probe")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--long-queries", type=int, default=20)
    args = parser.parse_args()
    layouts = [(100, args.queries), (1, args.long_queries)]
    # The same documents (and so the same _ids, the tie-break) on every server.
    documents = {conversations: _documents(conversations) for conversations, _ in layouts}
    runs = {}
    for label, env in SERVERS.items():
        with EmbeddedMongo(env=env) as server:
            runs[label] = [_measure(server.uri, documents[c], q) for c, q in layouts]
    print(f"{DOCUMENTS:,} messages, page of {PAGE}; median ms per query")
    print(f"| conversation | read | queries | {' | '.join(SERVERS)} |")
    print(f"|---|---|---|{'---|' * len(SERVERS)}")
    for index, (conversations, queries) in enumerate(layouts):
        for shape in runs["all patches"][index]:
            results = [runs[label][index][shape] for label in SERVERS]
            assert all(result[0] == results[0][0] for result in results), "different results"
            cells = " | ".join(f"{result[1]:.2f}" for result in results)
            length = DOCUMENTS // conversations
            print(f"| {length:,} messages | {shape} | {queries:,} | {cells} |")


if __name__ == "__main__":
    main()
