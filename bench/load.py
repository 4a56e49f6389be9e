"""Load benchmark: concurrent mentees drive the real HTTP server on loopback.

A cohort is seeded in the bench database and scored with the project's own
recalculate_all_scores; then the WSGI application is served by gunicorn (gthread workers)
in a subprocess against that database with production settings (DEBUG off), and CLIENTS
threads each run mentee sessions for a bounded time, one fresh mentee per session:

    login -> matches -> select (the best mentor with a free seat; on 409 mentor_full the
    next one) -> my-mentor -> send a chat message -> read the conversation -> conversations

Every request is timed on the client (time.perf_counter, keep-alive connection per thread).
An error is a transport failure, a 5xx, or any status or body the flow does not expect; a
409 mentor_full on select is expected under contention and counted on its own.

Afterwards one client sends the same read-only requests, one at a time, to gunicorn and to
`manage.py runserver`: the probe that justifies serving with gunicorn (see the report).
BENCH_LOAD_SERVER=runserver measures the main run on runserver instead.
"""

import http.client
import json
import math
import os
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
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bench.common import BENCH_DB, ROOT, Result, Section

CLIENTS = int(os.environ.get("BENCH_LOAD_CLIENTS", "20"))
SECONDS = float(os.environ.get("BENCH_LOAD_SECONDS", "30"))
SERVER = os.environ.get("BENCH_LOAD_SERVER", "gunicorn")
# One worker process per core; in each, a thread for every client, so that no request waits
# for a free thread while logins hash passwords.
WORKERS = int(os.environ.get("BENCH_LOAD_WORKERS", str(os.cpu_count() or 1)))
THREADS = int(os.environ.get("BENCH_LOAD_THREADS", str(CLIENTS)))
PROBE_REQUESTS = 100
# Fresh mentees are seeded for this many sessions per second over the whole run (a session
# is bound by its PBKDF2 login, a few per second per core), plus one per client and the
# warm-up; BENCH_LOAD_MENTEES overrides the count.
SESSIONS_PER_S_CEILING = 6
# One warm-up session per worker process, run side by side, before the clock starts.
WARMUP_SESSIONS = WORKERS
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


def _cohort_size() -> tuple[int, int]:
    from django.conf import settings

    override = os.environ.get("BENCH_LOAD_MENTEES")
    if override:
        mentees = int(override)
    else:
        mentees = CLIENTS + WARMUP_SESSIONS + math.ceil(SECONDS * SESSIONS_PER_S_CEILING)
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
    # One hash for everybody, with the hasher the server uses (settings' default, PBKDF2):
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
            return [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi:application",
                f"--bind=127.0.0.1:{self.port}",
                "--worker-class=gthread",
                f"--workers={WORKERS}",
                f"--threads={THREADS}",
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


class _Client:
    def __init__(self, port: int, deadline: float, tally: _Tally) -> None:
        self.port = port
        self.deadline = deadline
        self.tally = tally
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)

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
        headers = {"Accept": "application/json"}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        began = time.perf_counter()
        try:
            self.conn.request(method, path, body=payload, headers=headers)
            response = self.conn.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException) as exc:
            elapsed = time.perf_counter() - began
            self.conn.close()  # reconnects on the next request
            self._record(label, elapsed, f"{label}: transport {type(exc).__name__}: {exc}")
            raise _Abort from None
        elapsed = time.perf_counter() - began
        status = response.status
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
        return token, mentor


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


def _client_thread(port: int, pool: _Pool, deadline: float, tally: _Tally) -> None:
    client = _Client(port, deadline, tally)
    try:
        while time.perf_counter() < deadline:
            email = pool.next()
            if email is None:
                return
            try:
                client.session(email)
            except _Abort:
                continue
            except _Stop:
                return
    finally:
        client.close()


def _drive(port: int, pool: _Pool) -> tuple[_Tally, float, float]:
    """CLIENTS threads for SECONDS; returns the merged tally, the start and the deadline.
    No request starts after the deadline; those in flight then are waited for."""
    tallies = [_Tally() for _ in range(CLIENTS)]
    start = time.perf_counter()
    deadline = start + SECONDS
    threads = [
        threading.Thread(target=_client_thread, args=(port, pool, deadline, t), daemon=True)
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


def _pbkdf2_iterations() -> int:
    from django.contrib.auth.hashers import get_hasher

    return getattr(get_hasher(), "iterations", 0)


def _warm_up(port: int, pool: _Pool) -> tuple[str, str]:
    """WARMUP_SESSIONS sessions side by side (one per worker, likely), not measured;
    returns the token and mentor of one of them for the probe."""
    tally = _Tally()
    done: list[tuple[str, str] | None] = [None] * WARMUP_SESSIONS

    def one(i: int) -> None:
        client = _Client(port, math.inf, tally)
        try:
            done[i] = client.session(pool.next())
        except _Abort:
            pass
        finally:
            client.close()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(WARMUP_SESSIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if tally.errors or not all(done):
        raise RuntimeError(f"the warm-up sessions failed: {tally.errors}")
    return done[0]


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

        return (
            f"gunicorn {version('gunicorn')} (`config.wsgi:application`, gthread worker class, "
            f"{WORKERS} worker process(es) × {THREADS} threads)"
        )
    return "Django's `manage.py runserver --noreload` (threaded development server)"


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
        token, mentor = _warm_up(server.port, pool)
        log_offset = len(server.log_text())
        pids = {
            "server": server.process.pid,
            "database": int(os.environ.get("MONGODB_EMBEDDED_PID") or 0) or None,
            "client": os.getpid(),
        }
        load_before = os.getloadavg()[0]
        cpu_before = {k: _cpu_seconds(p, children=k == "server") for k, p in pids.items()}
        tally, start, deadline = _drive(server.port, pool)
        cpu_after = {k: _cpu_seconds(p, children=k == "server") for k, p in pids.items()}
        server_log = server.log_text()[log_offset:]
        probes[SERVER] = _probe(server, token, mentor)
    other = "runserver" if SERVER == "gunicorn" else "gunicorn"
    with _Server(other, secret) as server:
        _probe(server, token, mentor)  # its first requests pay the lazy start-up
        probes[other] = _probe(server, token, mentor)

    window = max(tally.last_done, deadline) - start
    server_errors = [line for line in server_log.splitlines() if " ERROR " in line]
    every = [s for _, s, _, _ in tally.samples]
    in_time = sum(1 for *_, done_at in tally.samples if done_at <= deadline)
    by_label: dict[str, list[float]] = defaultdict(list)
    errors_by_label: dict[str, int] = defaultdict(int)
    for label, seconds, error, _ in tally.samples:
        by_label[label].append(seconds)
        errors_by_label[label] += error
    not_login = [s for label, s, _, _ in tally.samples if label != LOGIN]
    on_server = _server_durations(server_log)
    requests = len(every)
    errors = len(tally.errors)
    rps = in_time / SECONDS
    p50, p99 = _ms(every, 50), _ms(every, 99)
    conflicts = len(by_label.get(SELECT_FULL, []))
    logins = len(by_label[LOGIN])
    results = [
        Result("load.rps", round(rps, 1), "req/s"),
        Result("load.p50_ms", round(p50, 1), "ms"),
        Result("load.p99_ms", round(p99, 1), "ms"),
        Result("load.errors", errors, "count"),
        Result("load.requests", requests, "count"),
        Result("load.sessions", tally.sessions, "count"),
        Result("load.select_conflicts", conflicts, "count"),
        Result("load.login_p50_ms", round(_ms(by_label[LOGIN], 50), 1), "ms"),
        Result("load.login_p99_ms", round(_ms(by_label[LOGIN], 99), 1), "ms"),
        Result("load.without_login_p50_ms", round(_ms(not_login, 50), 1), "ms"),
        Result("load.without_login_p99_ms", round(_ms(not_login, 99), 1), "ms"),
        Result("load.clients", CLIENTS, "count"),
        Result("load.duration_s", SECONDS, "s"),
    ]
    for kind in ("gunicorn", "runserver"):
        results += [
            Result(f"load.probe.{kind}.p50_ms", round(probes[kind]["p50"], 1), "ms"),
            Result(f"load.probe.{kind}.rps", round(probes[kind]["rps"], 1), "req/s"),
        ]

    def row(name: str, values: list[float], errs: int, server_values: list[float]) -> str:
        server_cell = (
            f"{_ms(server_values, 50):.0f} / {_ms(server_values, 99):.0f}" if server_values else "—"
        )
        return (
            f"| {name} | {len(values):,} | {_ms(values, 50):.0f} | {_ms(values, 99):.0f} | "
            f"{max(values) * 1000 if values else 0:.0f} | {errs} | {server_cell} |"
        )

    labels = ENDPOINT_ORDER + sorted(set(by_label) - set(ENDPOINT_ORDER))
    rows = [
        row(label, by_label[label], errors_by_label[label], on_server.get(label, []))
        for label in labels
        if by_label.get(label)
    ]
    rows.append(row("**all requests**", every, errors, [s for v in on_server.values() for s in v]))
    rows.append(
        row(
            "all but login",
            not_login,
            errors - errors_by_label[LOGIN],
            [s for label, values in on_server.items() if label != LOGIN for s in values],
        )
    )
    cpu_used = {
        name: cpu_after[name] - cpu_before[name]
        for name in pids
        if cpu_before[name] is not None and cpu_after[name] is not None
    }
    cpu_text = ", ".join(
        f"{name} {used:.1f} s ({used / window:.0%} of a core)" for name, used in cpu_used.items()
    )
    hashing = logins * hash_s
    hashing_text = (
        f" Password checks alone account for about {hashing:.1f} s of it ({logins} logins × "
        f"{hash_s * 1000:.0f} ms, one check timed in the bench process), "
        f"{hashing / cpu_used['server']:.0%} of the server's CPU time."
        if cpu_used.get("server")
        else ""
    )
    error_ok = "ok" if errors == 0 else "**MISS**"
    p99_ok = "ok" if p99 < P99_TARGET_MS else "**MISS**"
    notes = []
    if tally.errors:
        notes.append("Errors (first 5): " + "; ".join(f"`{e}`" for e in tally.errors[:5]) + ".")
    if server_errors:
        notes.append(f"The server logged {len(server_errors)} ERROR line(s).")
    if pool.exhausted:
        notes.append(
            "**MISS**: the pool of fresh mentees ran out before the end of the run (clients "
            "stopped early); raise BENCH_LOAD_MENTEES."
        )
    if tally.unseated:
        notes.append(f"{tally.unseated} session(s) found no mentor with a free seat.")
    g, r = probes["gunicorn"], probes["runserver"]
    markdown = "\n".join(
        [
            f"{CLIENTS} concurrent clients (threads of the bench process, stdlib `http.client`, "
            "one keep-alive connection each, no think time) drive the real HTTP API on "
            f"loopback for {SECONDS:.0f} s, after {WARMUP_SESSIONS} unmeasured warm-up "
            "session(s). Each session is a fresh mentee: login → matches → select (the "
            "best-ranked mentor with a free seat; on 409 `mentor_full` the next) → my-mentor "
            "→ send a chat message → read the conversation → conversations. An error is a "
            "transport failure, a 5xx, or any status or body the flow does not expect (every "
            "response is checked: the right user, mentor, message and conversation); 409 "
            "`mentor_full` under contention is expected and counted apart.",
            "",
            f"- Server: {_server_description(SERVER)}, DEBUG off, request log on, in its own "
            "process(es).",
            f"- Cohort: {mentees:,} mentees × {mentors:,} mentors (MAX_MENTEES "
            f"{settings.MAX_MENTEES}: {mentors * settings.MAX_MENTEES:,} seats), demo-style "
            f"profiles; {seeding['scores']:,} scores computed and written by "
            f"`recalculate_all_scores` ({seeding['scores_s']:.1f} s). Passwords use the "
            f"server's hasher (Django's default PBKDF2-SHA256, {_pbkdf2_iterations():,} "
            "iterations): every login pays a real `check_password`.",
            f"- Run: {requests:,} requests ({in_time:,} completed within the {SECONDS:.0f} s, "
            f"hence the rate; the rest were in flight at the end and are in the latencies), "
            f"{tally.sessions:,} complete sessions, {conflicts} select conflict(s) (409 "
            "`mentor_full`).",
            f"- CPU used from start to the last response ({window:.1f} s): "
            f"{cpu_text or 'not available'}; {os.cpu_count()} cores shared by all three and "
            "whatever else runs on the machine (1-minute load average just before the run: "
            f"{load_before:.1f}).{hashing_text}",
            "",
            "Latency in ms as the client sees it (queueing included); the last column is the "
            "server's own time per request (request log `duration_ms`, p50 / p99).",
            "",
            "| endpoint | requests | p50 | p99 | max | errors | server p50 / p99 |",
            "|---|---|---|---|---|---|---|",
            *rows,
            "",
            f"Throughput: **{rps:.1f} requests/s** ({tally.sessions / window:.1f} sessions/s). "
            f"Targets at {CLIENTS} clients: 0 errors — {errors} {error_ok}; p99 over all "
            f"requests < {P99_TARGET_MS:.0f} ms — {p99:.0f} ms {p99_ok} (without the logins: "
            f"{_ms(not_login, 99):.0f} ms, for information).",
            *([""] + notes if notes else []),
            "",
            "Why gunicorn: one client sends "
            f"{PROBE_REQUESTS} reads (my-mentor and the conversation, alternately), one at a "
            "time, on a keep-alive connection, to each server in turn:",
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
