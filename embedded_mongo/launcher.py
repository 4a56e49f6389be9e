"""The launcher role (the app's Python 3.11, stdlib + pymongo): start, stop, supervise the server.

``EmbeddedMongo`` spawns the server role (embedded_mongo/server.py) in .venv-mongo's Python as
``python -m embedded_mongo serve ...``, waits for its port and a ping, and stops it (SIGTERM,
then the final dump, SIGKILL after STOP_TIMEOUT). ``run_command`` (``python -m embedded_mongo
run [--data-dir DIR] -- CMD ...``) runs CMD against it and supervises it: if the server dies,
it is restarted from its data on the same port, or everything is stopped with a clear message.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Self

REPO = Path(__file__).resolve().parent.parent
DEFAULT_PYTHON = REPO / ".venv-mongo" / "bin" / "python"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
# Timeouts come from Django settings (DATABASES OPTIONS), see embedded_mongo/server.py (gap f).
URI_OPTIONS = "directConnection=true"
# Supervision (launcher): how often the database is checked, and when to give up on it.
SUPERVISE_POLL = 0.5
MAX_RESTARTS = 3
RESTART_WINDOW = 60.0


def mongoeco_python() -> str:
    """Interpreter of the server role: $MONGOECO_PYTHON or <repo>/.venv-mongo/bin/python."""
    return os.environ.get("MONGOECO_PYTHON") or str(DEFAULT_PYTHON)


class EmbeddedMongo:
    """The embedded server as a child process; a context manager; .uri once started."""

    def __init__(
        self,
        data_dir: str | os.PathLike | None = None,
        *,
        dump_interval: float | None = None,
        env: dict[str, str] | None = None,
        port: int = 0,
    ) -> None:
        self.data_dir = Path(data_dir).resolve() if data_dir is not None else None
        self.dump_interval = dump_interval
        self.port = port
        self.env = env
        self.uri: str | None = None
        self.process: subprocess.Popen | None = None
        self._workdir: Path | None = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def pid(self) -> int | None:
        """Process id of the server role, None before start()."""
        return self.process.pid if self.process is not None else None

    def _log_tail(self, limit: int = 4000) -> str:
        """The end of the server's stderr/stdout, for error messages."""
        if self._workdir is None:
            return ""
        with contextlib.suppress(OSError):
            return (self._workdir / "server.log").read_text(errors="replace")[-limit:]
        return ""

    def _fail(self, reason: str) -> RuntimeError:
        """Stop whatever started and build the error to raise."""
        tail = self._log_tail()
        self.stop()
        return RuntimeError(
            f"embedded MongoDB {reason} (interpreter {mongoeco_python()}); "
            f"server output:\n{tail or '(none)'}"
        )

    def start(self) -> str:
        """Spawn the server role, wait for its port and a ping; returns the URI."""
        if self.process is not None:
            assert self.uri is not None
            return self.uri
        python = mongoeco_python()
        if not Path(python).exists():
            raise RuntimeError(
                f"embedded MongoDB interpreter {python} not found: create .venv-mongo "
                "(make venv) or set MONGOECO_PYTHON, or set MONGODB_URI to a real MongoDB"
            )
        self._workdir = Path(tempfile.mkdtemp(prefix="embedded-mongo-"))
        port_file = self._workdir / "port"
        command = [
            python,
            "-m",
            "embedded_mongo",
            "serve",
            "--port-file",
            str(port_file),
            "--parent-pid",
            str(os.getpid()),
        ]
        if self.data_dir is not None:
            command += ["--data-dir", str(self.data_dir)]
        if self.dump_interval is not None:
            command += ["--dump-interval", str(self.dump_interval)]
        if self.port:
            command += ["--port", str(self.port)]
        env = dict(os.environ)
        env.update(self.env or {})
        # The package must import in the server's interpreter wherever the caller runs:
        # `-m` alone adds the working directory only when PYTHONSAFEPATH is unset.
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
        with open(self._workdir / "server.log", "wb") as log:
            # Own session: a terminal Ctrl-C reaches only the launcher, which then stops
            # the server itself (after its final dump).
            self.process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env=env,
                cwd=str(REPO),
            )
        atexit.register(self.stop)
        deadline = time.monotonic() + START_TIMEOUT
        output = 0
        while not port_file.exists():
            if self.process.poll() is not None:
                raise self._fail(f"exited with status {self.process.returncode} on start")
            # A large data directory takes longer than START_TIMEOUT to load (about a minute
            # for 30 MB of dump here): while the server prints progress lines (restore and
            # replay do, every PROGRESS_EVERY seconds), it is loading, not stuck.
            grown = (self._workdir / "server.log").stat().st_size
            if grown != output:
                output, deadline = grown, time.monotonic() + START_TIMEOUT
            if time.monotonic() > deadline:
                raise self._fail(f"did not listen within {START_TIMEOUT:.0f} s")
            time.sleep(0.05)
        self.port = int(port_file.read_text())
        self.uri = f"mongodb://127.0.0.1:{self.port}/?{URI_OPTIONS}"
        self._wait_for_ping(deadline)
        return self.uri

    def restart(self) -> str:
        """Start a dead server again on the same port with the same data; returns the URI."""
        self.stop()
        self.process = None
        return self.start()

    def _wait_for_ping(self, deadline: float) -> None:
        """Poll until the server answers `ping` (or died / the deadline passed)."""
        from pymongo import MongoClient
        from pymongo.errors import PyMongoError

        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise self._fail("exited before answering ping")
            client = MongoClient(self.uri, serverSelectionTimeoutMS=1000)
            try:
                client.admin.command("ping")
                return
            except PyMongoError as error:
                last_error = error
            finally:
                client.close()
        raise self._fail(f"did not answer ping within {START_TIMEOUT:.0f} s ({last_error})")

    def stop(self) -> None:
        """SIGTERM, wait for the final dump (30 s), then SIGKILL; idempotent."""
        process, self.process = self.process, None
        atexit.unregister(self.stop)
        if process is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None


def _exit_status(returncode: int) -> int:
    """Shell convention: a child killed by signal N exits 128 + N."""
    return 128 - returncode if returncode < 0 else returncode


def _stop_child(child: subprocess.Popen) -> None:
    """SIGTERM the child command, SIGKILL it after STOP_TIMEOUT."""
    if child.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            child.terminate()
        try:
            child.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _supervise(mongo: EmbeddedMongo, child: subprocess.Popen) -> int:
    """Wait for the child; restart the database on the same port if it dies.

    Gives up (stops the child, returns 1) when the database cannot be restarted, dies more
    than MAX_RESTARTS times within RESTART_WINDOW seconds, or has no data dir (a fresh
    in-memory server would silently serve an empty database).
    """
    deaths: list[float] = []
    while True:
        try:
            return child.wait(SUPERVISE_POLL)
        except subprocess.TimeoutExpired:
            pass
        process = mongo.process
        if process is None or process.poll() is None:
            continue
        noticed = time.monotonic()
        status = _exit_status(process.returncode)
        now = time.monotonic()
        deaths = [t for t in deaths if now - t < RESTART_WINDOW] + [now]
        reason = None
        if mongo.data_dir is None:
            reason = "it has no data dir to restart from"
        elif len(deaths) > MAX_RESTARTS:
            reason = f"it died {len(deaths)} times within {RESTART_WINDOW:.0f} s"
        else:
            tail = mongo._log_tail(1500).strip()
            if tail:
                print(f"embedded_mongo: its last output:\n{tail}", file=sys.stderr)
            print(
                f"embedded_mongo: the database (pid {process.pid}) died with status {status}; "
                f"restarting it on port {mongo.port} from {mongo.data_dir}",
                file=sys.stderr,
                flush=True,
            )
            try:
                mongo.restart()
            except RuntimeError as error:
                reason = f"the restart failed: {error}"
            else:
                print(
                    f"embedded_mongo: the database is back (pid {mongo.pid}) after "
                    f"{time.monotonic() - noticed:.1f} s",
                    file=sys.stderr,
                    flush=True,
                )
                continue
        print(
            f"embedded_mongo: GIVING UP: the database (pid {process.pid}) died with status "
            f"{status} and {reason}; stopping {' '.join(child.args)}",
            file=sys.stderr,
            flush=True,
        )
        _stop_child(child)
        return 1


def run_command(command: list[str], data_dir: str | None) -> int:
    """Run CMD with MONGODB_URI pointing at an embedded server (unless already set)."""
    if not command:
        raise SystemExit("embedded_mongo run: missing command after --")
    if os.environ.get("MONGODB_URI"):
        return _exit_status(subprocess.call(command))

    def terminate(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    # Until the child runs, SIGTERM unwinds normally so the server gets stopped.
    signal.signal(signal.SIGTERM, terminate)
    with EmbeddedMongo(data_dir) as mongo:
        env = dict(os.environ)
        env.update(
            MONGODB_URI=mongo.uri or "",
            MONGODB_EMBEDDED="1",
            MONGODB_EMBEDDED_PID=str(mongo.pid),
            # Non-empty when the server journals (bench/db.py reports which path it measured).
            MONGODB_EMBEDDED_DATA_DIR=str(mongo.data_dir or ""),
        )
        child = subprocess.Popen(command, env=env)
        # The child shares our terminal's process group and gets Ctrl-C itself; we only
        # wait for it (restarting the database if it dies), then stop the server cleanly.
        # SIGTERM (e.g. from a supervisor) is passed on to the child.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, lambda signum, frame: child.send_signal(signum))
        returncode = _supervise(mongo, child)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    return _exit_status(returncode)
