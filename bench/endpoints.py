"""Endpoint cost (issue 13): one client, one request at a time, each endpoint's p50 next
to its floor and its database command count.

The application runs on gunicorn against the bench database (bench/load.py's server). An
endpoint's floor is what its round trips cost at the least in the same run: its database
commands (counted with pymongo's command monitoring, core/db_commands.py) times the
measured `find_one` (reads) or `update_one` (writes) time, plus the bare HTTP round trip
of a WSGI application that does nothing (bench/bare_wsgi.py) on gunicorn, all three
measured right before and right after each endpoint.
"""

import http.client
import json
import os
import secrets
import statistics
import time
import urllib.parse

from bench.common import Result, Section, json_exchange
from bench.load import PASSWORD, _seed, _Server

REQUESTS = int(os.environ.get("BENCH_ENDPOINT_REQUESTS", "200"))
# Each endpoint's floor is measured right before and right after it (the lower kept), so a
# change of the shared machine's speed between endpoints moves both sides of its ratio.
FLOOR_SAMPLES = 60
MENTEES, MENTORS = 40, 20
# The conversation the chat reads are measured on: this many messages (the embedded server
# sorts a pair's messages without its index, so their cost grows with the conversation).
CONVERSATION = 20
TARGET_RATIO = 2.0
SIMPLE_READS = ("my-mentor", "conversations", "messages", "users-me")
WRITES = {"insert", "update", "delete", "findAndModify", "createIndexes"}


class _BareServer(_Server):
    def command(self) -> list[str]:
        return [
            "bench.bare_wsgi:application" if part == "config.wsgi:application" else part
            for part in super().command()
        ]


class _Http:
    """One keep-alive connection; request() returns (status, parsed body, seconds)."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, method, path, body=None, token=None):
        began = time.perf_counter()
        status, raw = json_exchange(self.conn, method, path, body=body, token=token)
        elapsed = time.perf_counter() - began
        return status, (json.loads(raw) if raw else {}), elapsed

    def close(self) -> None:
        self.conn.close()


def _p50_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def _db_floors(samples: int) -> tuple[float, float]:
    """Median find_one and update_one (by _id, on the users collection) in ms."""
    from django.db import connection

    users = connection.get_collection("users_user")
    scratch = connection.get_collection("bench_floor")
    scratch.replace_one({"_id": 1}, {"_id": 1, "n": 0}, upsert=True)
    pk = users.find_one({}, {"_id": 1})["_id"]
    reads, writes = [], []
    for _ in range(samples):
        began = time.perf_counter()
        users.find_one({"_id": pk})
        reads.append(time.perf_counter() - began)
        began = time.perf_counter()
        scratch.update_one({"_id": 1}, {"$inc": {"n": 1}})
        writes.append(time.perf_counter() - began)
    scratch.drop()
    return _p50_ms(reads), _p50_ms(writes)


def _floors(port: int) -> tuple[float, float, float]:
    """(bare HTTP, find_one, update_one) medians in ms, FLOOR_SAMPLES of each, now. The bare
    server gets a new connection each time (gunicorn closes one idle for 2 s) and a few
    requests on it before the timed ones."""
    find_ms, update_ms = _db_floors(FLOOR_SAMPLES)
    bare = _Http(port)
    for _ in range(5):
        bare.request("GET", "/")
    http_ms = _p50_ms([bare.request("GET", "/")[2] for _ in range(FLOOR_SAMPLES)])
    bare.close()
    return http_ms, find_ms, update_ms


def _endpoints(mentee: str, mentor: str) -> list[tuple[str, str, str, dict | None, str, int]]:
    """(name, method, path, body, who, status) for each repeatable endpoint measured."""
    chat = urllib.parse.urlencode({"with": mentor, "limit": 20})
    return [
        ("users-me", "GET", "/users/me/", None, "mentee", 200),
        ("matches", "GET", "/matching/matches/", None, "other", 200),
        ("my-mentor", "GET", "/matching/my-mentor/", None, "mentee", 200),
        ("messages", "GET", f"/chat/messages/?{chat}", None, "mentee", 200),
        ("conversations", "GET", "/chat/conversations/", None, "mentee", 200),
        ("read", "POST", "/chat/read/", {"with": mentee}, "mentor", 200),
        ("my-mentees", "GET", "/matching/my-mentees/", None, "mentor", 200),
        ("invitations", "GET", "/matching/invitations/", None, "mentee", 200),
        ("refresh", "POST", "/auth/refresh/", "refresh", "mentee", 200),
        # Last: each send lengthens the conversation the reads above page through.
        ("send", "POST", "/chat/messages/", {"to": mentor, "body": "hi"}, "mentee", 201),
    ]


def _count_commands(endpoints, people: dict[str, str]) -> dict[str, list[str]]:
    """Each endpoint's database commands, from one in-process request (after a first one:
    the steady state, where the rate limits' counters exist)."""
    from django.test import Client

    from core.db_commands import counting
    from users import tokens
    from users.models import User

    pairs = {who: tokens.issue_tokens(User.objects.get(email=e)) for who, e in people.items()}
    client = Client(HTTP_HOST="localhost")
    found = {}
    with counting() as log:
        for name, method, path, body, who, status in endpoints:
            if body == "refresh":
                body = {"refresh": pairs[who]["refresh"]}
            data = json.dumps(body) if body is not None else ""
            auth = {"HTTP_AUTHORIZATION": f"Bearer {pairs[who]['access']}"}
            for _attempt in range(2):
                with log.recording() as commands:
                    response = client.generic(
                        method, path, data=data, content_type="application/json", **auth
                    )
                if response.status_code != status:
                    raise RuntimeError(f"{name}: {response.status_code} {response.content[:200]}")
            found[name] = [command for command, _ in commands]
    return found


def _sign_in(http: _Http, email: str) -> dict:
    status, data, _ = http.request("POST", "/auth/login/", {"email": email, "password": PASSWORD})
    if status != 200:
        raise RuntimeError(f"login {email}: {status} {data}")
    return data


def run() -> Section:
    emails, _ = _seed(MENTEES, MENTORS)
    mentee, other = emails[0], emails[1]
    # High enough for REQUESTS sends a minute, still counted (a limit that is on).
    os.environ["CHAT_SENDS_PER_USER"] = f"{REQUESTS * 10}/m"
    secret = secrets.token_urlsafe(50)
    with _Server("gunicorn", secret) as server, _BareServer("gunicorn", secret) as bare_server:
        http = _Http(server.port)
        session = _sign_in(http, mentee)
        token = session["access"]
        _, ranked, _ = http.request("GET", "/matching/matches/", token=token)
        mentor = ranked["matches"][0]["email"]
        status, data, _ = http.request(
            "POST", "/matching/select/", {"mentor_email": mentor}, token=token
        )
        if status != 200:
            raise RuntimeError(f"select: {status} {data}")
        for i in range(CONVERSATION):
            http.request("POST", "/chat/messages/", {"to": mentor, "body": f"m{i}"}, token=token)
        people = {"mentee": mentee, "mentor": mentor, "other": other}
        sessions = {
            "mentee": session,
            "mentor": _sign_in(http, mentor),
            "other": _sign_in(http, other),
        }
        endpoints = _endpoints(mentee, mentor)
        commands = _count_commands(endpoints, people)
        timings, floors = {}, {}
        before = _floors(bare_server.port)
        for name, method, path, body, who, status in endpoints:
            if body == "refresh":
                body = {"refresh": sessions[who]["refresh"]}
            samples = []
            for _ in range(REQUESTS):
                got, data, elapsed = http.request(method, path, body, sessions[who]["access"])
                if got != status:
                    raise RuntimeError(f"{name}: {got} {data}")
                samples.append(elapsed)
            timings[name] = _p50_ms(samples[REQUESTS // 10 :])  # the first tenth warms up
            after = _floors(bare_server.port)
            # Measured right before and right after the endpoint, the lower kept: a floor, on
            # a shared machine.
            floors[name] = tuple(min(pair) for pair in zip(before, after, strict=True))
            before = after
        http.close()
    return _section(endpoints, commands, timings, floors)


def _section(endpoints, commands, timings, floors) -> Section:
    # The run's floors as one figure each: the medians of the endpoints' own.
    columns = zip(*floors.values(), strict=True)
    bare_ms, find_ms, update_ms = (statistics.median(column) for column in columns)
    results = [
        Result("endpoints.floor.http_ms", round(bare_ms, 3), "ms"),
        Result("endpoints.floor.find_one_ms", round(find_ms, 3), "ms"),
        Result("endpoints.floor.update_one_ms", round(update_ms, 3), "ms"),
    ]
    rows = []
    for name, method, path, *_ in endpoints:
        names = commands[name]
        writes = sum(1 for c in names if c in WRITES)
        http_ms, read_ms, write_ms = floors[name]
        floor = http_ms + (len(names) - writes) * read_ms + writes * write_ms
        p50 = timings[name]
        ratio = p50 / floor
        results += [
            Result(f"endpoints.{name}.p50_ms", round(p50, 3), "ms"),
            Result(f"endpoints.{name}.floor_ms", round(floor, 3), "ms"),
            Result(f"endpoints.{name}.ratio", round(ratio, 2), "ratio"),
            Result(f"endpoints.{name}.commands", len(names), "commands"),
        ]
        mark = ""
        if name in SIMPLE_READS:
            mark = " (target ≤ 2)" if ratio <= TARGET_RATIO else " **MISS** (target ≤ 2)"
        shown = path.split("?")[0]
        rows.append(
            f"| {method} {shown} | {len(names)} ({', '.join(names)}) | {p50:.2f} | "
            f"{floor:.2f} | {ratio:.2f}{mark} |"
        )
    markdown = "\n".join(
        [
            "One client, one request at a time on a keep-alive connection, "
            f"{REQUESTS} requests per endpoint (p50 of the last 90 %), gunicorn serving "
            "`config.wsgi:application` on the bench database (a cohort of "
            f"{MENTEES} mentees × {MENTORS} mentors, the mentee matched, {CONVERSATION} messages "
            "in the conversation the chat reads page through, sends measured last). An endpoint's "
            "floor is its database commands × the measured `find_one` (reads) or "
            "`update_one` (writes) time, plus the bare HTTP round trip (a do-nothing WSGI "
            "application, bench/bare_wsgi.py, on gunicorn beside the application). The three "
            f"are measured ({FLOOR_SAMPLES} of each, medians) right before and right after each "
            "endpoint, the lower of the two kept, so that a change of the shared machine's speed "
            "between endpoints moves both sides of its ratio; their medians over the run: "
            f"HTTP {bare_ms:.2f} ms, find_one {find_ms:.2f} ms, update_one {update_ms:.2f} ms.",
            "",
            "Commands are counted with pymongo's command monitoring (core/db_commands.py), "
            "from an in-process request after a first one. The tests pin the same "
            "counts, in cohorts of 3 and of 30, for these and the other endpoints of the "
            "flow (core/tests/test_round_trips.py); authentication is one of them.",
            "",
            "| endpoint | database commands | p50 ms | floor ms | p50 / floor |",
            "|---|---|---|---|---|",
            *rows,
        ]
    )
    return Section("Endpoint cost", results, markdown)
