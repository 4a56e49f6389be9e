"""Load benchmark: concurrent mentees drive the real HTTP server on loopback.

A cohort is seeded in the bench database and scored with the project's own
recalculate_all_scores; then the WSGI application is served by gunicorn as `make run` serves
it (core/gunicorn.py: gthread, WEB_WORKERS × WEB_THREADS) in a subprocess against that
database with production settings (DEBUG off), and CLIENTS threads drive two mixes, one after
the other, SECONDS each, on the same server:

* every session logs in (the issue's original mix), one fresh mentee per session:

    login -> matches -> select (the best mentor with a free seat; on 409 mentor_full the
    next one) -> my-mentor -> send a chat message -> read the conversation -> conversations

* signed in: mentees seated by the first mix log in once per SIGNED_IN_REQUESTS requests and
  reuse the token: my-mentor -> send a message -> read the conversation -> conversations,
  round and round.

Each mix reports the CPU time of the server (gunicorn's master and workers), the database
(the embedded server named by MONGODB_EMBEDDED_PID, when it is the process `make bench`
started) and the client (this process).

Every request is timed on the client (time.perf_counter, keep-alive connection per thread).
An error is a transport failure, a 5xx, or any status or body the flow does not expect; a
409 mentor_full on select is expected under contention and counted on its own.

Afterwards one client sends the same read-only requests, one at a time, to gunicorn and to
`manage.py runserver`: the probe that justifies serving with gunicorn (see the report).
BENCH_LOAD_SERVER=runserver measures the main run on runserver instead.
"""

import gc
import http.client
import json
import math
import os
import queue
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bench.common import BENCH_DB, ROOT, Result, Section, json_exchange

CLIENTS = int(os.environ.get("BENCH_LOAD_CLIENTS", "20"))
# Per mix: two mixes of 20 s keep the run (and the cohort it needs, below) near today's.
SECONDS = float(os.environ.get("BENCH_LOAD_SECONDS", "20"))
SERVER = os.environ.get("BENCH_LOAD_SERVER", "gunicorn")
# gunicorn's workers and threads: the settings' WEB_WORKERS / WEB_THREADS (what `make run`
# serves with) unless these override them.
WORKERS = int(os.environ.get("BENCH_LOAD_WORKERS", "0")) or None
THREADS = int(os.environ.get("BENCH_LOAD_THREADS", "0")) or None
PROBE_REQUESTS = 100
# Fresh mentees are seeded for this many sessions per second of the first mix, plus one per
# client and the warm-up; BENCH_LOAD_MENTEES overrides the count. The target (100 requests/s,
# about 7 requests a session) needs 14 a second, and 16 ran out at 17 sessions/s; the scores
# to seed grow with the square.
SESSIONS_PER_S_CEILING = 22
# The signed-in mix: one login per this many requests (the login included).
SIGNED_IN_REQUESTS = 50
RPS_TARGET = 100.0
# Seats to spare: mentors * MAX_MENTEES >= SEAT_SLACK * mentees, so late sessions still
# find a free seat.
SEAT_SLACK = 1.25
P99_TARGET_MS = 500.0
PASSWORD = "load-bench-passphrase"
DOMAIN = "load.bench.edu"
START_TIMEOUT = 120.0
REQUEST_TIMEOUT = 120.0
SELECT_ATTEMPTS = 8
LOGIN = "POST /auth/login/"
SELECT = "POST /matching/select/"
SELECT_FULL = "POST /matching/select/ (409 mentor_full)"
ENDPOINT_ORDER = [
    LOGIN,
    "GET /matching/matches/",
    SELECT,
    SELECT_FULL,
    "GET /matching/my-mentor/",
    "POST /chat/messages/",
    "GET /chat/messages/",
    "GET /chat/conversations/",
]
LOG_LINE = re.compile(r'method=(\w+) path="([^"]*)" status=(\d+) duration_ms=([\d.]+)')


# --------------------------------------------------------------------------------------
# Cohort
# --------------------------------------------------------------------------------------


def _web_workers_threads() -> tuple[int, int]:
    from django.conf import settings

    return WORKERS or settings.WEB_WORKERS, THREADS or settings.WEB_THREADS


def _warmup_sessions() -> int:
    """One warm-up session per worker process, run side by side, before the clock starts."""
    return _web_workers_threads()[0]


def _cohort_size() -> tuple[int, int]:
    from django.conf import settings

    override = os.environ.get("BENCH_LOAD_MENTEES")
    if override:
        mentees = int(override)
    else:
        mentees = CLIENTS + _warmup_sessions() + math.ceil(SECONDS * SESSIONS_PER_S_CEILING)
    mentors = math.ceil(mentees * SEAT_SLACK / settings.MAX_MENTEES)
    return mentees, mentors


def _seed(mentees: int, mentors: int) -> tuple[list[str], dict]:
    """A fresh database with the cohort, every score computed by recalculate_all_scores.
    Returns the mentee emails and timings."""
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection

    from matching.services import recalculate_all_scores
    from users import demo
    from users.models import Role, User

    connection.connection.drop_database(BENCH_DB)
    call_command("migrate", verbosity=0)
    began = time.perf_counter()
    rng = random.Random(20260)
    # One hash for everybody, with the hasher the server uses (the settings' first one):
    # each login still pays the full check_password.
    password = make_password(PASSWORD)
    people = [
        User(
            email=f"mentor{i:04d}@{DOMAIN}",
            role=Role.MENTOR,
            password=password,
            **demo._profile(rng, years=demo.YEARS_MENTOR),
        )
        for i in range(mentors)
    ]
    emails = [f"mentee{i:04d}@{DOMAIN}" for i in range(mentees)]
    people += [
        User(
            email=email,
            role=Role.MENTEE,
            password=password,
            **demo._profile(rng, years=demo.YEARS_MENTEE),
        )
        for email in emails
    ]
    User.objects.bulk_create(people)  # no signals: scored below, all at once
    users_s = time.perf_counter() - began
    began = time.perf_counter()
    summary = recalculate_all_scores()
    scores_s = time.perf_counter() - began
    assert summary.scores == mentees * mentors, summary
    return emails, {"users_s": users_s, "scores_s": scores_s, "scores": summary.scores}


# --------------------------------------------------------------------------------------
# Server
# --------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Server:
    """The application on a free loopback port with production settings: gunicorn
    (gthread) or `manage.py runserver --noreload`."""

    def __init__(self, kind: str, secret: str) -> None:
        self.kind = kind
        self.secret = secret
        self.port = _free_port()
        self.log = tempfile.NamedTemporaryFile(  # closed in __exit__
            prefix=f"bench-load-{kind}-", suffix=".log", delete=False
        )
        self.process: subprocess.Popen | None = None

    def command(self) -> list[str]:
        if self.kind == "gunicorn":
            workers, threads = _web_workers_threads()
            return [
                sys.executable,
                "-m",
                "gunicorn",
                "--config=core/gunicorn.py",
                f"--bind=127.0.0.1:{self.port}",
                f"--workers={workers}",
                f"--threads={threads}",
            ]
        return [
            sys.executable,
            str(ROOT / "manage.py"),
            "runserver",
            "--noreload",
            f"127.0.0.1:{self.port}",
        ]

    def __enter__(self) -> "_Server":
        env = dict(os.environ)
        env.update(
            DJANGO_SETTINGS_MODULE="config.settings",
            DJANGO_DEBUG="0",
            DJANGO_SECRET_KEY=self.secret,
            DJANGO_ALLOWED_HOSTS="127.0.0.1",
            # The signed-in mix sends a dozen messages per sign-in, and a mentee may sign in
            # again within the minute: the limit is checked and counted as usual, never hit.
            CHAT_SENDS_PER_USER="1000000/m",
            MONGODB_NAME=BENCH_DB,
            PYTHONUNBUFFERED="1",
        )
        self.process = subprocess.Popen(
            self.command(), cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.stop()
                raise RuntimeError(f"{self.kind} exited at start:\n{self.log_text()[-3000:]}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/health/")
                response = conn.getresponse()
                response.read()
                conn.close()
                if response.status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.kind} did not answer /health/ within {START_TIMEOUT:.0f} s")

    def __exit__(self, *exc_info) -> None:
        self.stop()
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)

    def log_text(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")

    def stop(self) -> None:
        """The server's clean stop (runserver: Ctrl-C; gunicorn: SIGTERM, graceful), then
        SIGTERM, then SIGKILL."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM if self.kind == "gunicorn" else signal.SIGINT)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.terminate()
                try:
                    process.wait(15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def _cpu_seconds(pid: int | None, *, children: bool = False) -> float | None:
    """utime + stime of a process, and of its live children if asked (Linux /proc)."""
    if not pid:
        return None
    total, found = 0, False
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if stat.parent.name == str(pid) or (children and fields[1] == str(pid)):
            total += int(fields[11]) + int(fields[12])
            found = True
    return total / os.sysconf("SC_CLK_TCK") if found else None


# --------------------------------------------------------------------------------------
# Clients
# --------------------------------------------------------------------------------------


class _Stop(Exception):
    """The run's time is up: no new request."""


class _Abort(Exception):
    """The session cannot go on (an error was recorded)."""


@dataclass
class _Tally:
    # (label, seconds, error?, perf_counter at completion)
    samples: list[tuple[str, float, bool, float]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    sessions: int = 0
    unseated: int = 0
    last_done: float = 0.0
    # (mentee, mentor) of every completed first-mix session: the signed-in mix's users.
    seated: list[tuple[str, str]] = field(default_factory=list)
    # len(samples) when the client's first session ended (None: it never did), and in the
    # merged tally the samples after each client's first session (see _drive).
    first_session_samples: int | None = None
    after_first: list[tuple[str, float, bool, float]] = field(default_factory=list)


class _Client:
    def __init__(self, port: int, deadline: float, tally: _Tally) -> None:
        self.port = port
        self.deadline = deadline
        self.tally = tally
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
        self.primed = False  # the signed-in mix: its first session was signed in before

    def close(self) -> None:
        self.conn.close()

    def call(
        self,
        label: str,
        method: str,
        path: str,
        *,
        token: str | None = None,
        body: dict | None = None,
        expect: tuple[int, ...] = (200,),
    ) -> tuple[int, dict]:
        if time.perf_counter() >= self.deadline:
            raise _Stop
        began = time.perf_counter()
        try:
            status, raw = json_exchange(self.conn, method, path, body=body, token=token)
        except (OSError, http.client.HTTPException) as exc:
            elapsed = time.perf_counter() - began
            self.conn.close()  # reconnects on the next request
            self._record(label, elapsed, f"{label}: transport {type(exc).__name__}: {exc}")
            raise _Abort from None
        elapsed = time.perf_counter() - began
        try:
            data = json.loads(raw) if raw else {}
        except ValueError:
            data = {"_raw": raw[:200].decode(errors="replace")}
        if status == 409 and label == SELECT and data.get("code") == "mentor_full":
            self._record(SELECT_FULL, elapsed, None)
            return status, data
        if status not in expect or status >= 500:
            self._record(label, elapsed, f"{label}: {status} {json.dumps(data)[:200]}")
            raise _Abort
        self._record(label, elapsed, None)
        return status, data

    def _record(self, label: str, elapsed: float, error: str | None) -> None:
        self.tally.last_done = time.perf_counter()
        self.tally.samples.append((label, elapsed, error is not None, self.tally.last_done))
        if error is not None:
            self.tally.errors.append(error)

    def wrong(self, what: str) -> None:
        """A 2xx whose body is not what the flow expects: an error on the last sample."""
        label, elapsed, _, _ = self.tally.samples.pop()
        self._record(label, elapsed, f"{label}: {what}")
        raise _Abort

    def session(self, email: str) -> tuple[str, str] | None:
        """One mentee's session; returns (access token, mentor) when it completes."""
        _, data = self.call(
            LOGIN, "POST", "/auth/login/", body={"email": email, "password": PASSWORD}
        )
        token = data.get("access")
        if not token or data.get("user", {}).get("email") != email:
            self.wrong("no access token or another user")
        mentor = None
        for _round in range(3):
            _, data = self.call("GET /matching/matches/", "GET", "/matching/matches/", token=token)
            ranked = [m["email"] for m in data.get("matches", [])]
            if not ranked:
                break
            for candidate in ranked[:SELECT_ATTEMPTS]:
                status, data = self.call(
                    SELECT,
                    "POST",
                    "/matching/select/",
                    token=token,
                    body={"mentor_email": candidate},
                    expect=(200,),
                )
                if status == 200:
                    mentor = candidate
                    break
            if mentor:
                break
        if mentor is None:
            self.tally.unseated += 1
            return None
        _, data = self.call("GET /matching/my-mentor/", "GET", "/matching/my-mentor/", token=token)
        if data.get("mentor", {}).get("email") != mentor:
            self.wrong(f"my-mentor is not {mentor}")
        text = f"Hello {mentor}, this is {email}."
        _, data = self.call(
            "POST /chat/messages/",
            "POST",
            "/chat/messages/",
            token=token,
            body={"to": mentor, "body": text},
            expect=(201,),
        )
        sent = data.get("message", {}).get("id")
        query = urllib.parse.urlencode({"with": mentor, "limit": 20})
        _, data = self.call("GET /chat/messages/", "GET", f"/chat/messages/?{query}", token=token)
        if [m.get("id") for m in data.get("messages", [])] != [sent]:
            self.wrong("the conversation does not hold exactly the message sent")
        _, data = self.call("GET /chat/conversations/", "GET", "/chat/conversations/", token=token)
        if [c.get("with") for c in data.get("conversations", [])] != [mentor]:
            self.wrong("conversations does not list the mentor")
        self.tally.sessions += 1
        self.tally.seated.append((email, mentor))
        return token, mentor

    def login(self, email: str) -> str:
        _, data = self.call(
            LOGIN, "POST", "/auth/login/", body={"email": email, "password": PASSWORD}
        )
        token = data.get("access")
        if not token or data.get("user", {}).get("email") != email:
            self.wrong("no access token or another user")
        return token

    def signed_in(self, email: str, mentor: str, *, token: str | None = None, skip: int = 0):
        """A seated mentee logs in (unless given its token), then makes the rest of
        SIGNED_IN_REQUESTS requests with the token (less `skip`, already made): my-mentor,
        send a message, read the conversation, conversations, round and round."""
        token = token or self.login(email)
        query = urllib.parse.urlencode({"with": mentor, "limit": 20})
        sent = None
        for i in range(skip, SIGNED_IN_REQUESTS - 1):
            step = i % 4
            if step == 0:
                _, data = self.call(
                    "GET /matching/my-mentor/", "GET", "/matching/my-mentor/", token=token
                )
                if data.get("mentor", {}).get("email") != mentor:
                    self.wrong(f"my-mentor is not {mentor}")
            elif step == 1:
                _, data = self.call(
                    "POST /chat/messages/",
                    "POST",
                    "/chat/messages/",
                    token=token,
                    body={"to": mentor, "body": f"Message {i} from {email}."},
                    expect=(201,),
                )
                sent = data.get("message", {}).get("id")
            elif step == 2:
                _, data = self.call(
                    "GET /chat/messages/", "GET", f"/chat/messages/?{query}", token=token
                )
                newest = data.get("messages", [{}])[0].get("id") if data.get("messages") else None
                if sent is not None and newest != sent:
                    self.wrong("the conversation does not start with the message just sent")
            else:
                _, data = self.call(
                    "GET /chat/conversations/", "GET", "/chat/conversations/", token=token
                )
                if [c.get("with") for c in data.get("conversations", [])] != [mentor]:
                    self.wrong("conversations does not list the mentor")
        self.tally.sessions += 1


class _Pool:
    """Fresh mentees, handed out once each."""

    def __init__(self, emails: list[str]) -> None:
        self._emails = iter(emails)
        self._lock = threading.Lock()
        self.exhausted = False

    def next(self) -> str | None:
        with self._lock:
            email = next(self._emails, None)
            if email is None:
                self.exhausted = True
            return email


class _Seated:
    """Seated (mentee, mentor) pairs for the signed-in mix, least recently used first; a pair
    is held by one client at a time (two clients as one mentee would interleave messages)."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._free: queue.Queue[tuple[str, str]] = queue.Queue()
        for pair in pairs:
            self._free.put(pair)
        self._lock = threading.Lock()
        self.size = len(pairs)
        self.handed = 0

    def take(self, deadline: float) -> tuple[str, str] | None:
        """A free pair, waiting for one until the deadline at most (None then)."""
        try:
            pair = self._free.get(timeout=max(deadline - time.perf_counter(), 0.001))
        except queue.Empty:
            return None
        with self._lock:
            self.handed += 1
        return pair

    def give_back(self, pair: tuple[str, str]) -> None:
        self._free.put(pair)


def _fresh_session(pool: _Pool) -> Callable[["_Client"], bool]:
    def one(client: _Client) -> bool:
        email = pool.next()
        if email is None:
            return False
        client.session(email)
        return True

    return one


def _signed_in_session(seated: _Seated, primed: list[tuple[str, str, str]]):
    """Sessions of the signed-in mix. Each client's first one continues a session signed in
    before the clock started (`primed`), from a random point of its SIGNED_IN_REQUESTS, so
    that the logins are spread over the mix from its start instead of coming all at once."""
    lock = threading.Lock()
    rng = random.Random(50)

    def one(client: _Client) -> bool:
        if not client.primed:
            client.primed = True
            with lock:
                entry = primed.pop() if primed else None
                skip = rng.randrange(SIGNED_IN_REQUESTS - 1)
            if entry is not None:
                email, mentor, token = entry
                try:
                    client.signed_in(email, mentor, token=token, skip=skip)
                finally:
                    seated.give_back((email, mentor))
                return True
        pair = seated.take(client.deadline)
        if pair is None:
            return False
        try:
            client.signed_in(*pair)
        finally:
            seated.give_back(pair)
        return True

    return one


def _prime(port: int, seated: _Seated) -> list[tuple[str, str, str]]:
    """CLIENTS seated mentees signed in side by side, not measured: (mentee, mentor, token)."""
    tally = _Tally()
    primed: list[tuple[str, str, str]] = []

    def one() -> None:
        pair = seated.take(time.perf_counter())
        if pair is None:
            return  # fewer seated mentees than clients: the others wait for a free one
        client = _Client(port, math.inf, tally)
        try:
            primed.append((*pair, client.login(pair[0])))
        except _Abort:
            seated.give_back(pair)
        finally:
            client.close()

    threads = [threading.Thread(target=one) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if tally.errors:
        raise RuntimeError(f"signing in before the signed-in mix failed: {tally.errors}")
    return primed


def _client_thread(
    port: int, session: Callable[[_Client], bool], deadline: float, tally: _Tally
) -> None:
    client = _Client(port, deadline, tally)
    try:
        while time.perf_counter() < deadline:
            try:
                if not session(client):
                    return
            except _Abort:
                continue
            except _Stop:
                return
            finally:
                if tally.first_session_samples is None:
                    tally.first_session_samples = len(tally.samples)
    finally:
        client.close()


def _drive(port: int, session: Callable[[_Client], bool]) -> tuple[_Tally, float, float]:
    """CLIENTS threads for SECONDS, each running sessions back to back; returns the merged
    tally, the start and the deadline. No request starts after the deadline; those in flight
    then are waited for."""
    tallies = [_Tally() for _ in range(CLIENTS)]
    start = time.perf_counter()
    deadline = start + SECONDS
    threads = [
        threading.Thread(target=_client_thread, args=(port, session, deadline, t), daemon=True)
        for t in tallies
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    merged = _Tally()
    for t in tallies:
        merged.samples += t.samples
        merged.errors += t.errors
        merged.sessions += t.sessions
        merged.unseated += t.unseated
        merged.last_done = max(merged.last_done, t.last_done)
        merged.seated += t.seated
        if t.first_session_samples is not None:
            merged.after_first += t.samples[t.first_session_samples :]
    return merged, start, deadline


# --------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------


def _ms(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values) * 1000, q)) if values else 0.0


def _server_durations(log: str) -> dict[str, list[float]]:
    """Server-side durations (the request log middleware's duration_ms) by endpoint."""
    found: dict[str, list[float]] = defaultdict(list)
    for method, path, status, ms in LOG_LINE.findall(log):
        label = f"{method} {path}"
        if label == SELECT and status == "409":
            label = SELECT_FULL
        found[label].append(float(ms) / 1000)
    return found


def _hash_seconds() -> float:
    """Wall time of one check_password with the server's hasher in this process (best of 3)."""
    from django.contrib.auth.hashers import make_password

    from users.models import User

    user = User(password=make_password(PASSWORD))
    times = []
    for _ in range(3):
        began = time.perf_counter()
        user.check_password(PASSWORD)
        times.append(time.perf_counter() - began)
    return min(times)


def _hasher_description() -> str:
    """The settings' first password hasher, as the server uses it for new hashes."""
    from django.contrib.auth.hashers import get_hasher

    hasher = get_hasher()
    cost = [
        f"{name} {getattr(hasher, name):,}"
        for name in ("iterations", "time_cost", "memory_cost", "work_factor")
        if isinstance(getattr(hasher, name, None), int)
    ]
    return f"{type(hasher).__name__}" + (f", {', '.join(cost)}" if cost else "")


def _warm_up(port: int, pool: _Pool) -> tuple[str, str, list[tuple[str, str]]]:
    """_warmup_sessions() sessions side by side (one per worker, likely), not measured;
    returns the token and mentor of one of them for the probe, and the seated pairs."""
    tally = _Tally()
    sessions = _warmup_sessions()
    done: list[tuple[str, str] | None] = [None] * sessions

    def one(i: int) -> None:
        client = _Client(port, math.inf, tally)
        try:
            done[i] = client.session(pool.next())
        except _Abort:
            pass
        finally:
            client.close()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if tally.errors or not all(done):
        raise RuntimeError(f"the warm-up sessions failed: {tally.errors}")
    return (*done[0], tally.seated)


def _probe(server: "_Server", token: str, mentor: str) -> dict:
    """One client, one request at a time: PROBE_REQUESTS reads (my-mentor and the
    conversation, alternately) on a keep-alive connection; client and server latency."""
    offset = len(server.log_text())
    tally = _Tally()
    client = _Client(server.port, math.inf, tally)
    query = urllib.parse.urlencode({"with": mentor, "limit": 20})
    began = time.perf_counter()
    try:
        for i in range(PROBE_REQUESTS):
            if i % 2:
                client.call("GET /chat/messages/", "GET", f"/chat/messages/?{query}", token=token)
            else:
                client.call("GET /matching/my-mentor/", "GET", "/matching/my-mentor/", token=token)
    except _Abort:
        raise RuntimeError(f"the {server.kind} probe failed: {tally.errors}") from None
    finally:
        client.close()
    elapsed = time.perf_counter() - began
    values = [s for _, s, _, _ in tally.samples]
    on_server = [s for v in _server_durations(server.log_text()[offset:]).values() for s in v]
    return {
        "rps": len(values) / elapsed,
        "p50": _ms(values, 50),
        "p99": _ms(values, 99),
        "server_p50": _ms(on_server, 50),
    }


def _server_description(kind: str) -> str:
    if kind == "gunicorn":
        from importlib.metadata import version

        workers, threads = _web_workers_threads()
        return (
            f"gunicorn {version('gunicorn')} as `make run` starts it (`core/gunicorn.py`: "
            f"gthread worker class, {workers} worker process(es) × {threads} threads)"
        )
    return "Django's `manage.py runserver --noreload` (threaded development server)"


@dataclass
class _Mix:
    """One mix as measured, and the figures derived from it."""

    tally: _Tally
    start: float
    deadline: float
    server_log: str
    cpu: dict[str, float]  # CPU seconds used during the mix, by side (those measurable)
    load_before: float
    window: float = 0.0
    every: list[float] = field(default_factory=list)
    by_label: dict[str, list[float]] = field(default_factory=dict)
    errors_by_label: dict[str, int] = field(default_factory=dict)
    not_login: list[float] = field(default_factory=list)
    after_first: list[float] = field(default_factory=list)
    on_server: dict[str, list[float]] = field(default_factory=dict)
    in_time: int = 0

    def __post_init__(self) -> None:
        self.window = max(self.tally.last_done, self.deadline) - self.start
        self.every = [s for _, s, _, _ in self.tally.samples]
        self.in_time = sum(1 for *_, done_at in self.tally.samples if done_at <= self.deadline)
        by_label: dict[str, list[float]] = defaultdict(list)
        errors_by_label: dict[str, int] = defaultdict(int)
        for label, seconds, error, _ in self.tally.samples:
            by_label[label].append(seconds)
            errors_by_label[label] += error
        self.by_label, self.errors_by_label = by_label, errors_by_label
        self.not_login = [s for label, s, _, _ in self.tally.samples if label != LOGIN]
        self.after_first = [s for _, s, _, _ in self.tally.after_first]
        self.on_server = _server_durations(self.server_log)

    @property
    def errors(self) -> int:
        return len(self.tally.errors)

    @property
    def rps(self) -> float:
        return self.in_time / SECONDS

    @property
    def server_errors(self) -> list[str]:
        return [line for line in self.server_log.splitlines() if " ERROR " in line]


def _measure(server: "_Server", session: Callable[[_Client], bool]) -> _Mix:
    """Drive one mix against the running server, with the CPU time of each side."""
    log_offset = len(server.log_text())
    pids = {
        "server": server.process.pid,
        # The process `make bench` started; a restarted database is not counted.
        "database": int(os.environ.get("MONGODB_EMBEDDED_PID") or 0) or None,
        "client": os.getpid(),
    }
    load_before = os.getloadavg()[0]
    before = {k: _cpu_seconds(p, children=k == "server") for k, p in pids.items()}
    # The client's own garbage collector: this process holds what it ran before (the cohort's
    # seeding loads the sentence-transformers model), and a full collection walks all of it
    # with the GIL held, stalling every client thread while their requests are being timed
    # (4 of them took 0.46 s in one 20 s mix, without the model). Frozen, the collector walks
    # only what the mix allocates; a client's pause is not the server's latency.
    gc.collect()
    gc.freeze()
    try:
        tally, start, deadline = _drive(server.port, session)
    finally:
        gc.unfreeze()
    after = {k: _cpu_seconds(p, children=k == "server") for k, p in pids.items()}
    cpu = {
        name: after[name] - before[name]
        for name in pids
        if before[name] is not None and after[name] is not None
    }
    return _Mix(tally, start, deadline, server.log_text()[log_offset:], cpu, load_before)


def _mix_results(prefix: str, mix: _Mix) -> list[Result]:
    logins = mix.by_label.get(LOGIN, [])
    results = [
        Result(f"{prefix}.rps", round(mix.rps, 1), "req/s"),
        Result(f"{prefix}.p50_ms", round(_ms(mix.every, 50), 1), "ms"),
        Result(f"{prefix}.p99_ms", round(_ms(mix.every, 99), 1), "ms"),
        Result(f"{prefix}.errors", mix.errors, "count"),
        Result(f"{prefix}.requests", len(mix.every), "count"),
        Result(f"{prefix}.sessions", mix.tally.sessions, "count"),
        Result(f"{prefix}.logins", len(logins), "count"),
        Result(f"{prefix}.login_p50_ms", round(_ms(logins, 50), 1), "ms"),
        Result(f"{prefix}.login_p99_ms", round(_ms(logins, 99), 1), "ms"),
        Result(f"{prefix}.without_login_p50_ms", round(_ms(mix.not_login, 50), 1), "ms"),
        Result(f"{prefix}.without_login_p99_ms", round(_ms(mix.not_login, 99), 1), "ms"),
        Result(f"{prefix}.after_first_session_p99_ms", round(_ms(mix.after_first, 99), 1), "ms"),
    ]
    for side in ("server", "database", "client"):
        if side in mix.cpu:
            results.append(Result(f"{prefix}.cpu.{side}_s", round(mix.cpu[side], 1), "s"))
    return results


def _mix_table(mix: _Mix) -> list[str]:
    def row(name: str, values: list[float], errs: int, server_values: list[float]) -> str:
        server_cell = (
            f"{_ms(server_values, 50):.0f} / {_ms(server_values, 99):.0f}" if server_values else "—"
        )
        return (
            f"| {name} | {len(values):,} | {_ms(values, 50):.0f} | {_ms(values, 99):.0f} | "
            f"{max(values) * 1000 if values else 0:.0f} | {errs} | {server_cell} |"
        )

    labels = ENDPOINT_ORDER + sorted(set(mix.by_label) - set(ENDPOINT_ORDER))
    rows = [
        row(label, mix.by_label[label], mix.errors_by_label[label], mix.on_server.get(label, []))
        for label in labels
        if mix.by_label.get(label)
    ]
    every_on_server = [s for v in mix.on_server.values() for s in v]
    rows.append(row("**all requests**", mix.every, mix.errors, every_on_server))
    rows.append(
        row(
            "all but login",
            mix.not_login,
            mix.errors - mix.errors_by_label.get(LOGIN, 0),
            [s for label, values in mix.on_server.items() if label != LOGIN for s in values],
        )
    )
    return [
        "| endpoint | requests | p50 | p99 | max | errors | server p50 / p99 |",
        "|---|---|---|---|---|---|---|",
        *rows,
    ]


def _cpu_text(mix: _Mix, hash_s: float | None = None) -> str:
    """The CPU split of a mix: seconds, share of a core, share of the CPU the three used."""
    if not mix.cpu:
        return "CPU: not available."
    total = sum(mix.cpu.values()) or 1.0
    parts = ", ".join(
        f"{name} {used:.1f} s ({used / mix.window:.0%} of a core, {used / total:.0%} of the three)"
        for name, used in mix.cpu.items()
    )
    missing = [side for side in ("server", "database", "client") if side not in mix.cpu]
    text = (
        f"CPU used from start to the last response ({mix.window:.1f} s): {parts}"
        + (f"; {', '.join(missing)}: not measured (process gone or restarted)" if missing else "")
        + f". {os.cpu_count()} cores shared by all three and whatever else runs on the machine "
        f"(1-minute load average just before the mix: {mix.load_before:.1f})."
    )
    logins = len(mix.by_label.get(LOGIN, []))
    if hash_s is not None and mix.cpu.get("server"):
        hashing = logins * hash_s
        text += (
            f" Password checks alone account for about {hashing:.1f} s of it ({logins} logins × "
            f"{hash_s * 1000:.0f} ms, one check timed in the bench process), "
            f"{hashing / mix.cpu['server']:.0%} of the server's CPU time."
        )
    return text


def _mix_notes(mix: _Mix) -> list[str]:
    notes = []
    if mix.tally.errors:
        notes.append("Errors (first 5): " + "; ".join(f"`{e}`" for e in mix.tally.errors[:5]) + ".")
    if mix.server_errors:
        notes.append(f"The server logged {len(mix.server_errors)} ERROR line(s).")
    if mix.tally.unseated:
        notes.append(f"{mix.tally.unseated} session(s) found no mentor with a free seat.")
    return notes


def _ok(passed: bool) -> str:
    return "ok" if passed else "**MISS**"


def run() -> Section:
    from django.conf import settings

    if SERVER not in ("gunicorn", "runserver"):
        raise SystemExit(f"BENCH_LOAD_SERVER must be gunicorn or runserver, not {SERVER!r}")
    mentees, mentors = _cohort_size()
    emails, seeding = _seed(mentees, mentors)
    hash_s = _hash_seconds()
    pool = _Pool(emails)
    secret = secrets.token_urlsafe(50)
    probes = {}
    with _Server(SERVER, secret) as server:
        token, mentor, warm_seated = _warm_up(server.port, pool)
        fresh = _measure(server, _fresh_session(pool))
        seated = _Seated(warm_seated + fresh.tally.seated)
        primed = _prime(server.port, seated)
        signed = _measure(server, _signed_in_session(seated, primed))
        probes[SERVER] = _probe(server, token, mentor)
    other = "runserver" if SERVER == "gunicorn" else "gunicorn"
    with _Server(other, secret) as server:
        _probe(server, token, mentor)  # its first requests pay the lazy start-up
        probes[other] = _probe(server, token, mentor)

    p99 = _ms(fresh.every, 99)
    conflicts = len(fresh.by_label.get(SELECT_FULL, []))
    results = [
        *_mix_results("load", fresh),
        Result("load.select_conflicts", conflicts, "count"),
        Result("load.clients", CLIENTS, "count"),
        Result("load.duration_s", SECONDS, "s"),
        *_mix_results("load.signed_in", signed),
    ]
    for kind in ("gunicorn", "runserver"):
        results += [
            Result(f"load.probe.{kind}.p50_ms", round(probes[kind]["p50"], 1), "ms"),
            Result(f"load.probe.{kind}.rps", round(probes[kind]["rps"], 1), "req/s"),
        ]

    fresh_notes = _mix_notes(fresh)
    if pool.exhausted:
        fresh_notes.append(
            "**MISS**: the pool of fresh mentees ran out before the end of the mix (clients "
            "stopped early); raise BENCH_LOAD_MENTEES."
        )
    signed_notes = _mix_notes(signed)
    if seated.handed > seated.size:
        signed_notes.append(
            f"{seated.size} seated mentee(s) for {seated.handed} sessions: some signed in "
            "more than once (one client at a time)."
        )
    signed_logins = len(signed.by_label.get(LOGIN, []))
    g, r = probes["gunicorn"], probes["runserver"]
    markdown = "\n".join(
        [
            f"{CLIENTS} concurrent clients (threads of the bench process, stdlib `http.client`, "
            "one keep-alive connection each, no think time) drive the real HTTP API on "
            f"loopback in two mixes of {SECONDS:.0f} s each, one after the other on the same "
            f"server, after {_warmup_sessions()} unmeasured warm-up session(s). An error is a "
            "transport failure, a 5xx, or any status or body the flow does not expect (every "
            "response is checked: the right user, mentor, message and conversation). The "
            "bench process freezes its heap out of its garbage collector for each mix, so "
            "that a collection in the client does not stall its threads mid-request.",
            "",
            f"- Server: {_server_description(SERVER)}, DEBUG off, request log on, gunicorn's "
            "access log off, in its own process(es).",
            f"- Cohort: {mentees:,} mentees × {mentors:,} mentors (MAX_MENTEES "
            f"{settings.MAX_MENTEES}: {mentors * settings.MAX_MENTEES:,} seats), demo-style "
            f"profiles; {seeding['scores']:,} scores computed and written by "
            f"`recalculate_all_scores` ({seeding['scores_s']:.1f} s). Passwords use the "
            f"server's hasher ({_hasher_description()}): every login pays a real "
            "`check_password`.",
            "- Database: the embedded server `make bench` starts, journaled (durable) in a "
            "fresh var/bench-mongo; its CPU is that of the process MONGODB_EMBEDDED_PID names.",
            "",
            "Latency in ms as the client sees it (queueing included); the last column is the "
            "server's own time per request (request log `duration_ms`, p50 / p99).",
            "",
            "### Every session logs in",
            "",
            "Each session is a fresh mentee: login → matches → select (the best-ranked mentor "
            "with a free seat; on 409 `mentor_full` the next) → my-mentor → send a chat "
            "message → read the conversation → conversations; 409 `mentor_full` under "
            "contention is expected and counted apart.",
            "",
            f"- Run: {len(fresh.every):,} requests ({fresh.in_time:,} completed within the "
            f"{SECONDS:.0f} s, hence the rate; the rest were in flight at the end and are in "
            f"the latencies), {fresh.tally.sessions:,} complete sessions, {conflicts} select "
            "conflict(s) (409 `mentor_full`).",
            f"- {_cpu_text(fresh, hash_s)}",
            "",
            *_mix_table(fresh),
            "",
            f"Throughput: **{fresh.rps:.1f} requests/s** "
            f"({fresh.tally.sessions / fresh.window:.1f} sessions/s). Targets at {CLIENTS} "
            f"clients: 0 errors — {fresh.errors} {_ok(fresh.errors == 0)}; p99 over all "
            f"requests ≤ {P99_TARGET_MS:.0f} ms — {p99:.0f} ms {_ok(p99 <= P99_TARGET_MS)} "
            f"(for information: without the logins {_ms(fresh.not_login, 99):.0f} ms; after "
            f"each client's first session {_ms(fresh.after_first, 99):.0f} ms, since the "
            f"{CLIENTS} clients start at the same instant, each with a login); "
            f"≥ {RPS_TARGET:.0f} requests/s — {fresh.rps:.1f} {_ok(fresh.rps >= RPS_TARGET)}.",
            *([""] + fresh_notes if fresh_notes else []),
            "",
            "### Signed in",
            "",
            "Mentees seated by the warm-up and the first mix sign in again, one login per "
            f"{SIGNED_IN_REQUESTS} requests, and reuse the token: my-mentor → send a chat "
            "message → read the conversation (it must start with that message) → "
            "conversations, round and round. Before the clock starts, each client signs in "
            "once (not measured) and begins at a random point of its first "
            f"{SIGNED_IN_REQUESTS} requests, so "
            "the logins are spread over the mix. The server runs with CHAT_SENDS_PER_USER "
            "raised out of reach (checked and counted as usual, never hit).",
            "",
            f"- Run: {len(signed.every):,} requests ({signed.in_time:,} within the "
            f"{SECONDS:.0f} s), {signed_logins:,} logins of {seated.size:,} seated mentees.",
            f"- {_cpu_text(signed, hash_s)}",
            "",
            *_mix_table(signed),
            "",
            f"Throughput: **{signed.rps:.1f} requests/s**; p99 over all requests "
            f"{_ms(signed.every, 99):.0f} ms (for information); 0 errors — {signed.errors} "
            f"{_ok(signed.errors == 0)}.",
            *([""] + signed_notes if signed_notes else []),
            "",
            "### Why gunicorn",
            "",
            f"One client sends {PROBE_REQUESTS} reads (my-mentor and the conversation, "
            "alternately), one at a time, on a keep-alive connection, to each server in turn:",
            "",
            "| server | requests/s | client p50 ms | client p99 ms | server p50 ms |",
            "|---|---|---|---|---|",
            f"| gunicorn | {g['rps']:.1f} | {g['p50']:.0f} | {g['p99']:.0f} | "
            f"{g['server_p50']:.0f} |",
            f"| runserver | {r['rps']:.1f} | {r['p50']:.0f} | {r['p99']:.0f} | "
            f"{r['server_p50']:.0f} |",
            "",
            "runserver (wsgiref) writes the status line, headers and body of a response in "
            "separate small sends on a socket without TCP_NODELAY, so on a keep-alive "
            "connection the tail of every response waits for the client's delayed ACK (about "
            "40 ms on Linux) — the gap between its client and server columns. gunicorn sets "
            "TCP_NODELAY, and its worker processes are not confined to one GIL; it is "
            "also a production server, where runserver is documented as development-only.",
        ]
    )
    return Section("Load: concurrent mentee sessions over HTTP", results, markdown)
