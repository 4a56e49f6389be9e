"""python -m bench.login_flood: what the password-check bound does for other requests.

Not a `make bench` section (it writes no results): a flood of FLOOD (30) clients logging in
with unknown emails (one Argon2id hash each; lockouts off) against gunicorn (2 gthread
workers × 40 threads) for 20 s, while one client sends GET /health/live/ (no database)
every 20 ms. Prints the probe's latency and the logins' statuses. Run it twice to compare,
e.g. PASSWORD_CHECKS_PER_PROCESS=4 (default) and =1000 (no bound), inside a database:

    .venv/bin/python -m embedded_mongo run --data-dir /tmp/flood-db -- \\
        .venv/bin/python -m bench.login_flood
"""

import http.client
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time

import numpy as np

from bench.common import ROOT

FLOOD = int(os.environ.get("FLOOD", "30"))
SECONDS = 20.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_hex(32),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        MONGODB_NAME="mentor_match_flood",
        LOGIN_FAILURES_PER_ACCOUNT="off",
        LOGIN_FAILURES_PER_ADDRESS="off",
        REQUEST_LOG_LEVEL="WARNING",
    )
    migrate_env = {**os.environ, "MENTOR_MATCH_PROCESS": "command"}
    manage = [sys.executable, "manage.py", "migrate", "-v0"]
    subprocess.run(manage, cwd=ROOT, check=True, env=migrate_env)
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            f"--bind=127.0.0.1:{port}",
            "--worker-class=gthread",
            "--workers=2",
            "--threads=40",
        ],
        cwd=ROOT,
    )
    try:
        _wait_until_up(port)
        print(_run(port), flush=True)
    finally:
        server.terminate()
        server.wait(30)


def _wait_until_up(port: int) -> None:
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/health/live/")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not answer within 60 s")


def _run(port: int) -> str:
    stop = time.time() + SECONDS
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    probe: list[float] = []

    def flood(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        body = json.dumps({"email": f"nobody{i}@example.edu", "password": "a-long-passphrase-1"})
        while time.time() < stop:
            conn.request("POST", "/auth/login/", body, {"Content-Type": "application/json"})
            response = conn.getresponse()
            response.read()
            with lock:
                statuses[response.status] = statuses.get(response.status, 0) + 1

    def prober() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        time.sleep(2)  # let the flood build up
        while time.time() < stop:
            began = time.perf_counter()
            conn.request("GET", "/health/live/")
            conn.getresponse().read()
            probe.append((time.perf_counter() - began) * 1000)
            time.sleep(0.02)

    threads = [threading.Thread(target=flood, args=(i,)) for i in range(FLOOD)]
    threads.append(threading.Thread(target=prober))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ms = np.asarray(probe)
    slots = os.environ.get("PASSWORD_CHECKS_PER_PROCESS", "default")
    return (
        f"PASSWORD_CHECKS_PER_PROCESS={slots}, {FLOOD} login clients: GET /health/live/ "
        f"n={len(ms)} p50={np.percentile(ms, 50):.0f} p99={np.percentile(ms, 99):.0f} "
        f"max={ms.max():.0f} ms; logins {dict(sorted(statuses.items()))} "
        f"({sum(statuses.values()) / SECONDS:.0f}/s)"
    )


if __name__ == "__main__":
    main()
