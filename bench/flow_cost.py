"""What each step of the load bench's mentee flow costs: wall time, the app's CPU and the
embedded database server's CPU, per request.

Run: .venv/bin/python -m embedded_mongo run --data-dir var/flow-cost -- \
         .venv/bin/python -m bench.flow_cost [--mentees 300] [--mentors 200] [--sessions 80]

Not a `make bench` section (it writes no results). The requests go through Django's test
client in this process (no HTTP, one at a time), so "app CPU" is this process's CPU time and
"db CPU" the embedded server's (from /proc of the process MONGODB_EMBEDDED_PID names),
both summed over the sessions and divided by the requests. The flow is the load bench's:
login, matches, select (the next mentor on 409), my-mentor, send, messages, conversations.
It finds where a session's CPU goes, which the load bench's totals cannot tell apart.
"""

import argparse
import collections
import json
import os
import time

import django

J = "application/json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mentees", type=int, default=300)
    parser.add_argument("--mentors", type=int, default=200)
    parser.add_argument("--sessions", type=int, default=80)
    args = parser.parse_args()
    database_pid = int(os.environ["MONGODB_EMBEDDED_PID"])  # set by `embedded_mongo run`
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="flow-cost-" + "x" * 50,
        DJANGO_ALLOWED_HOSTS="testserver",
        CHAT_SENDS_PER_USER="1000000/m",
        LOGIN_ATTEMPTS_PER_ADDRESS="1000000/m",
        REQUEST_LOG="0",
        # Seeding deletes stale scores in one long operation; as a server process, its
        # 3 s heartbeat timeout cancelled that delete (DatabaseError) once in four runs.
        # Commands keep long heartbeats (config/settings.py), as bench/common.py sets.
        MENTOR_MATCH_PROCESS="command",
    )
    from bench.load import BENCH_DB, PASSWORD, _seed

    os.environ["MONGODB_NAME"] = BENCH_DB
    django.setup()
    from django.db import connection
    from django.test import Client

    connection.ensure_connection()

    tick = os.sysconf("SC_CLK_TCK")

    def database_cpu_ms() -> float:
        with open(f"/proc/{database_pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / tick * 1000

    if args.sessions + 5 > args.mentees:
        parser.error("--sessions + 5 must not exceed --mentees")
    emails, _ = _seed(args.mentees, args.mentors)
    client = Client()
    totals = collections.defaultdict(lambda: [0.0, 0.0, 0.0, 0])

    def step(name, call):
        wall, cpu, db = time.perf_counter(), time.process_time(), database_cpu_ms()
        response = call()
        total = totals[name]
        total[0] += (time.perf_counter() - wall) * 1000
        total[1] += (time.process_time() - cpu) * 1000
        total[2] += database_cpu_ms() - db
        total[3] += 1
        return response

    def session(email: str) -> None:
        login = {"email": email, "password": PASSWORD}
        response = step("login", lambda: client.post("/auth/login/", login, content_type=J))
        headers = {"HTTP_AUTHORIZATION": f"Bearer {response.json()['access']}"}
        ranked = step("matches", lambda: client.get("/matching/matches/", **headers))
        mentor = None
        for candidate in ranked.json()["matches"]:
            body = {"mentor_email": candidate["email"]}
            response = step(
                "select",
                lambda body=body: client.post("/matching/select/", body, content_type=J, **headers),
            )
            if response.status_code == 200:
                mentor = candidate["email"]
                break
        if mentor is None:
            raise RuntimeError(f"{email}: no mentor had a free seat")
        step("my-mentor", lambda: client.get("/matching/my-mentor/", **headers))
        message = {"to": mentor, "body": "hello there"}
        step("send", lambda: client.post("/chat/messages/", message, content_type=J, **headers))
        step("messages", lambda: client.get(f"/chat/messages/?with={mentor}", **headers))
        step("conversations", lambda: client.get("/chat/conversations/", **headers))

    for email in emails[:5]:  # warm-up, not counted
        session(email)
    totals.clear()
    for email in emails[5 : 5 + args.sessions]:
        session(email)
    print(f"{args.mentees}x{args.mentors} cohort, {args.sessions} sessions; ms per request")
    print(f"{'step':14} {'requests':>8} {'wall':>7} {'app CPU':>8} {'db CPU':>7}")
    whole = [0.0, 0.0, 0.0]
    for name, (wall, cpu, db, count) in totals.items():
        print(f"{name:14} {count:8d} {wall / count:7.2f} {cpu / count:8.2f} {db / count:7.2f}")
        whole = [whole[0] + wall, whole[1] + cpu, whole[2] + db]
    per = [value / args.sessions for value in whole]
    print(f"{'per session':14} {args.sessions:8d} {per[0]:7.2f} {per[1]:8.2f} {per[2]:7.2f}")
    named = dict(zip(("wall", "app_cpu", "db_cpu"), per, strict=True))
    print(json.dumps({"per_session_ms": named}))


if __name__ == "__main__":
    main()
