"""Fault injection: the database dies under a running server, then comes back.

The app runs as it does in production, in a gunicorn subprocess (DEBUG off, settings from
the environment), with MONGODB_URI pointing at a small TCP proxy that this test puts in
front of the session's embedded MongoDB. The proxy cuts the database in two ways:

- refused: it stops listening and drops every connection (a crashed server, a closed port);
- black hole: it keeps accepting connections but forwards nothing, in either direction,
  also on the connections already open (a network partition, a frozen server: the case
  that hung requests for over 200 s).

Every endpoint that uses the database must answer a JSON 503 database_unavailable with
Retry-After, /health/live/ must stay 200, nothing may hang, and once the proxy forwards
again the same server must answer normally, without a restart. A second server with DEBUG
on shows that its error responses are JSON and show no connection string nor SECRET_KEY.

Elapsed times are printed (run with -s to see them) but not asserted, beyond a generous
"not hung" bound: timings belong in bench/.
"""

import contextlib
import http.client
import json
import os
import select
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from pymongo import MongoClient
from pymongo.uri_parser import parse_uri

ROOT = Path(__file__).resolve().parents[2]
NOT_HUNG = 20.0  # seconds: far above the configured timeouts, far below the reported 200 s
START_DEADLINE = 60.0
RECOVERY_DEADLINE = 30.0
SECRET_KEY = f"outage-test-secret-{uuid.uuid4().hex}"
PASSWORD = "a-long-enough-passphrase"
# A well-formed session key (8+ characters), so the session middleware looks it up.
SESSION_COOKIE = "sessionid=" + "a" * 32


# --- the proxy ---------------------------------------------------------------------------


class Proxy:
    """A TCP proxy on 127.0.0.1 that can refuse, black-hole or forward (threads, stdlib)."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.mode = "forward"
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self._listen()

    def _listen(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _track(self, *socks: socket.socket) -> bool:
        """Keep the sockets for _drop_all(); False (and closed) once refuse() has begun: a
        connection accepted just before the listener closed must not outlive the cut."""
        with self._lock:
            if self.mode != "refuse":
                self._sockets.update(socks)
                return True
        for sock in socks:
            sock.close()
        return False

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:  # the listener was closed (refuse() or stop())
                return
            if not self._track(client):
                continue
            if self.mode == "blackhole":
                continue  # accepted, never answered
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            if not self._track(upstream):
                self._close(client)
                continue
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                readable, _, _ = select.select([src], [], [], 0.2)
                if self.mode == "blackhole":
                    continue  # stop reading: requests and replies stay where they are
                if readable:
                    data = src.recv(65536)
                    if not data:
                        break
                    dst.sendall(data)
        except (OSError, ValueError):
            pass
        finally:
            for sock in (src, dst):
                self._close(sock)

    def _close(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(sock)
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()

    def _drop_all(self) -> None:
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            self._close(sock)

    def refuse(self) -> None:
        with self._lock:  # from here on _track() refuses new sockets
            self.mode = "refuse"
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        self._drop_all()

    def blackhole(self) -> None:
        self.mode = "blackhole"

    def restore(self) -> None:
        if self.mode == "blackhole":
            self._drop_all()  # what the black hole swallowed is lost, as in a partition
        self.mode = "forward"
        if self._listener is None:
            self._listen()

    def stop(self) -> None:
        self.refuse()


# --- the app server ----------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    def __init__(self, mongodb_uri: str, db_name: str, *, debug: bool):
        self.port = _free_port()
        self.log = tempfile.NamedTemporaryFile(prefix="outage-gunicorn-", suffix=".log")
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_SECRET_KEY": SECRET_KEY,
            "DJANGO_DEBUG": "1" if debug else "0",
            "MONGODB_URI": mongodb_uri,
            "MONGODB_NAME": db_name,
            "REQUEST_LOG_LEVEL": "WARNING",
        }
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--worker-class",
                "gthread",
                "--workers",
                "1",
                "--threads",
                "16",
                "--timeout",
                "120",
                "--graceful-timeout",
                "2",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def request(self, method, path, body=None, headers=None):
        """(status, headers, body bytes, seconds); a hang raises socket.timeout."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=NOT_HUNG + 10)
        started = time.monotonic()
        try:
            payload = json.dumps(body).encode() if body is not None else None
            all_headers = {"Content-Type": "application/json", **(headers or {})}
            conn.request(method, path, body=payload, headers=all_headers)
            response = conn.getresponse()
            content = response.read()
            return response.status, response.headers, content, time.monotonic() - started
        finally:
            conn.close()

    def wait_until(self, method, path, status, *, deadline, headers=None):
        """Poll until path answers status; the last answer."""
        end = time.monotonic() + deadline
        while True:
            assert self.process.poll() is None, self.output()
            try:
                answer = self.request(method, path, headers=headers)
                if answer[0] == status:
                    return answer
            except OSError:
                answer = None
            assert time.monotonic() < end, (path, answer, self.output())
            time.sleep(0.2)

    def output(self) -> str:
        return Path(self.log.name).read_text(errors="replace")[-4000:]

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=15)
        self.log.close()


# --- fixtures ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def proxy():
    parsed = parse_uri(os.environ["MONGODB_URI"])
    host, port = parsed["nodelist"][0]
    proxy = Proxy((host, port))
    yield proxy
    proxy.stop()


@pytest.fixture(scope="module")
def servers(proxy):
    """A DEBUG-off and a DEBUG-on server on one throwaway database, both through the proxy."""
    db_name = f"outage_{uuid.uuid4().hex[:12]}"
    uri = f"mongodb://127.0.0.1:{proxy.port}/?directConnection=true"
    started = {debug: Server(uri, db_name, debug=debug) for debug in (False, True)}
    try:
        for server in started.values():
            server.wait_until("GET", "/health/ready/", 200, deadline=START_DEADLINE)
        yield started
    finally:
        for server in started.values():
            server.stop()
        with MongoClient(os.environ["MONGODB_URI"], serverSelectionTimeoutMS=5000) as client:
            client.drop_database(db_name)


@pytest.fixture(scope="module")
def session(servers):
    """A signed-in mentee of the DEBUG-off server: its access and refresh tokens."""
    email = f"outage-{uuid.uuid4().hex[:8]}@example.edu"
    status, _, body, _ = servers[False].request(
        "POST", "/auth/register/", {"email": email, "password": PASSWORD, "role": "MENTEE"}
    )
    assert status == 201, body
    tokens = json.loads(body)
    return {"email": email, "access": tokens["access"], "refresh": tokens["refresh"]}


@pytest.fixture
def restored(proxy, servers, session):
    """Each test starts and ends with a working database (the end is asserted by the test)."""
    proxy.restore()
    yield
    proxy.restore()


def _cases(session):
    bearer = {"Authorization": f"Bearer {session['access']}"}
    return {
        "read /users/me/": ("GET", "/users/me/", None, bearer),
        "read /matching/invitations/": ("GET", "/matching/invitations/", None, bearer),
        "write /matching/profile/": ("PUT", "/matching/profile/", {"goals": "outage"}, bearer),
        "write /chat/read/": ("POST", "/chat/read/", {"with": "x@example.edu"}, bearer),
        "login": ("POST", "/auth/login/", {"email": session["email"], "password": PASSWORD}, {}),
        "register": (
            "POST",
            "/auth/register/",
            {
                "email": f"{uuid.uuid4().hex[:8]}@example.edu",
                "password": PASSWORD,
                "role": "MENTOR",
            },
            {},
        ),
        "refresh": ("POST", "/auth/refresh/", {"refresh": session["refresh"]}, {}),
        "health/ready": ("GET", "/health/ready/", None, {}),
        "health": ("GET", "/health/", None, {}),
        # The admin loads the session user through the session and auth middlewares.
        "admin (session cookie)": ("GET", "/admin/", None, {"Cookie": SESSION_COOKIE}),
    }


def _fire(server, cases):
    """Every case at once (as concurrent clients would): {name: (status, headers, body, s)}."""
    with ThreadPoolExecutor(max_workers=len(cases)) as pool:
        futures = {name: pool.submit(server.request, *case) for name, case in cases.items()}
        return {name: future.result() for name, future in futures.items()}


def _assert_unavailable(name, answer):
    status, headers, body, elapsed = answer
    assert status == 503, (name, status, body[:300])
    assert headers["Content-Type"] == "application/json", (name, headers["Content-Type"])
    assert json.loads(body)["code"] == "database_unavailable", (name, body)
    assert headers["Retry-After"] == "5", name
    assert elapsed < NOT_HUNG, (name, elapsed)


def _report(label, answers):
    times = ", ".join(f"{name} {a[0]} {a[3]:.2f}s" for name, a in answers.items())
    print(f"\n[{label}] {times}")


@pytest.mark.parametrize("cut", ["refused", "blackhole"])
def test_database_outage_is_503_json_quickly_and_recovers_without_restart(
    proxy, servers, session, restored, cut
):
    server = servers[False]
    cases = _cases(session)
    # Warm: the pool holds open connections, which the black hole must also swallow.
    assert server.request(*cases["read /users/me/"])[0] == 200

    getattr(proxy, "refuse" if cut == "refused" else "blackhole")()
    answers = _fire(server, cases)
    _report(f"{cut}, first requests", answers)
    for name, answer in answers.items():
        _assert_unavailable(name, answer)

    # While it stays down: liveness is fine, unknown routes are a JSON 404, and later
    # requests (server marked unknown, pool cleared) are 503 too.
    live = server.request("GET", "/health/live/")
    assert (live[0], json.loads(live[2])) == (200, {"status": "ok"})
    unknown = server.request("POST", "/no/such/route/", {"a": 1})
    assert (unknown[0], json.loads(unknown[2])["code"]) == (404, "not_found")
    again = _fire(server, {k: cases[k] for k in ("read /users/me/", "login", "health/ready")})
    _report(f"{cut}, still down", {**again, "live": live, "unknown route": unknown})
    for name, answer in again.items():
        _assert_unavailable(name, answer)

    proxy.restore()
    started = time.monotonic()
    server.wait_until("GET", "/health/ready/", 200, deadline=RECOVERY_DEADLINE)
    status, _, body, _ = server.request(*cases["read /users/me/"])
    assert status == 200, body
    assert json.loads(body)["user"]["email"] == session["email"]
    status, _, body, _ = server.request(*cases["write /matching/profile/"])
    assert status == 200, body
    print(f"\n[{cut}] recovered in {time.monotonic() - started:.2f}s after the proxy was restored")


def test_with_debug_on_the_outage_answer_is_json_without_secrets(proxy, servers, restored):
    server = servers[True]
    html = {"Accept": "text/html"}
    cases = {
        "login": ("POST", "/auth/login/", {"email": "a@example.edu", "password": PASSWORD}, html),
        "read /users/me/": ("GET", "/users/me/", None, {**html, "Authorization": "Bearer x.y.z"}),
        "health/ready": ("GET", "/health/ready/", None, html),
        "admin (session cookie)": ("GET", "/admin/", None, {**html, "Cookie": SESSION_COOKIE}),
    }
    # A session cookie makes the admin query the database; a made-up token is refused
    # before any query, so sign in first for a real one.
    status, _, body, _ = server.request(
        "POST",
        "/auth/register/",
        {"email": f"{uuid.uuid4().hex[:8]}@example.edu", "password": PASSWORD, "role": "MENTEE"},
    )
    assert status == 201, body
    access = json.loads(body)["access"]
    cases["read /users/me/"][3]["Authorization"] = f"Bearer {access}"

    proxy.refuse()
    answers = _fire(server, cases)
    _report("debug on, refused", answers)
    for name, answer in answers.items():
        _assert_unavailable(name, answer)
        assert b"mongodb://" not in answer[2], name
        assert SECRET_KEY.encode() not in answer[2], name
    proxy.restore()
    server.wait_until("GET", "/health/ready/", 200, deadline=RECOVERY_DEADLINE)


def _raw(port: int, request: bytes) -> bytes:
    """Everything the server sends for one HTTP/1.0 request (it closes the connection)."""
    with socket.create_connection(("127.0.0.1", port), timeout=NOT_HUNG) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_over_real_http_head_and_204_carry_no_body(servers, session, restored):
    port = servers[False].port
    head = _raw(port, b"HEAD /health/live/ HTTP/1.0\r\nHost: localhost\r\n\r\n")
    headers, _, rest = head.partition(b"\r\n\r\n")
    assert headers.startswith(b"HTTP/1.0 200") or headers.startswith(b"HTTP/1.1 200"), headers
    assert rest == b""

    # A refresh token of a fresh session, so the module's session stays signed in.
    status, _, body, _ = servers[False].request(
        "POST", "/auth/login/", {"email": session["email"], "password": PASSWORD}
    )
    assert status == 200, body
    tokens = json.loads(body)
    payload = json.dumps({"refresh": tokens["refresh"]}).encode()
    logout = _raw(
        port,
        b"POST /auth/logout/ HTTP/1.0\r\nHost: localhost\r\n"
        + f"Authorization: Bearer {tokens['access']}\r\n".encode()
        + b"Content-Type: application/json\r\n"
        + f"Content-Length: {len(payload)}\r\n\r\n".encode()
        + payload,
    )
    headers, _, rest = logout.partition(b"\r\n\r\n")
    assert b" 204 " in headers.split(b"\r\n")[0], headers
    names = {line.split(b":")[0].strip().lower() for line in headers.split(b"\r\n")[1:]}
    assert b"content-type" not in names, headers
    assert b"content-length" not in names, headers
    assert rest == b""
