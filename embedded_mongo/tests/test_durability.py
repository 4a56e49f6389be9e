"""Durability and supervision of the embedded server: kill -9 loses no acknowledged write."""

import datetime
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from bson import Decimal128, ObjectId
from pymongo import ASCENDING, MongoClient
from pymongo.errors import DuplicateKeyError

from embedded_mongo import REPO, EmbeddedMongo, journal_dir, scan_segment

WRITERS = 4
WRITES_PER_WRITER = 50


def _kill(server: EmbeddedMongo) -> None:
    """SIGKILL the server role and reap it (no final dump, no journal truncation)."""
    assert server.process is not None
    os.kill(server.process.pid, signal.SIGKILL)
    server.process.wait(30)
    server.process = None
    server.stop()


def _state(client: MongoClient) -> dict:
    """Every document and index of the `app` database, comparable after a restart."""
    database = client.app
    return {
        name: (
            list(database[name].find(sort=[("_id", ASCENDING)])),
            database[name].index_information(),
        )
        for name in sorted(database.list_collection_names())
    }


def _acknowledged_writes(client: MongoClient, uri: str) -> int:
    """Writes of every kind the app issues; returns how many were acknowledged."""
    app = client.app
    users, scores = app.users, app.scores
    count = 0
    users.create_index("email", unique=True, name="email_1")
    scores.create_index([("mentee", ASCENDING), ("mentor", ASCENDING)], unique=True)
    count += 2
    when = datetime.datetime(2024, 5, 1, 12, 30, 15, 123000)
    users.insert_one(
        {"_id": "u0", "email": "a@x.edu", "when": when, "d": Decimal128("1.5"), "b": b"x"}
    )
    users.insert_many([{"_id": f"u{i}", "email": f"u{i}@x.edu", "n": i} for i in range(1, 40)])
    count += 40
    users.update_one({"_id": "u1"}, {"$set": {"n": -1}})
    users.update_many({"n": {"$gte": 30}}, {"$inc": {"n": 100}})
    users.replace_one({"_id": "u2"}, {"email": "u2@x.edu", "replaced": True})
    users.find_one_and_update({"_id": "u3"}, {"$set": {"fam": True}})
    users.delete_one({"_id": "u4"})
    users.delete_many({"n": {"$gte": 135}})
    users.find_one_and_delete({"_id": "u5"})
    count += 7
    # Unique key moves from u6 to a new document: replay must not trip over it.
    users.update_one({"_id": "u6"}, {"$set": {"email": "moved@x.edu"}})
    users.insert_one({"_id": "u40", "email": "u6@x.edu"})
    count += 2
    # Upserts with server-generated _ids: replay must reproduce the same ids.
    for i in range(20):
        result = scores.update_one(
            {"mentee": f"m{i % 5}", "mentor": f"t{i}"}, {"$set": {"s": i}}, upsert=True
        )
        assert result.upserted_id is not None
        scores.update_one({"_id": result.upserted_id}, {"$inc": {"s": 1000}})
    count += 40
    app.scratch.insert_one({"_id": 1})
    app.scratch.drop()
    users.create_index("n", name="n_1")
    users.drop_index("n_1")
    client.gone.docs.insert_one({"_id": 1})
    client.drop_database("gone")
    count += 6

    def writer(n: int) -> None:
        with MongoClient(uri) as own:
            for i in range(WRITES_PER_WRITER):
                own.app.events.insert_one({"_id": ObjectId(), "writer": n, "i": i})

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    count += WRITERS * WRITES_PER_WRITER
    return count


def test_acknowledged_writes_survive_sigkill(tmp_path, capsys):
    data_dir = tmp_path / "mongo"
    with EmbeddedMongo(data_dir) as first:
        with MongoClient(first.uri) as client:
            acknowledged = _acknowledged_writes(client, first.uri)
            expected = _state(client)
        _kill(first)
    with EmbeddedMongo(data_dir) as second, MongoClient(second.uri) as client:
        found = _state(client)
        assert found == expected
        assert client.app.events.count_documents({}) == WRITERS * WRITES_PER_WRITER
        # (not list_database_names(): mongoeco 4.11.0's listDatabases fails on any stored
        # Decimal128, with or without the journal)
        assert client.gone.list_collection_names() == []
        assert "n_1" not in client.app.users.index_information()
        with pytest.raises(DuplicateKeyError):
            client.app.users.insert_one({"email": "u6@x.edu"})
    with capsys.disabled():
        print(f"\n[durability] {acknowledged} writes acknowledged, all found after kill -9")


def test_crash_between_dump_swap_and_journal_truncation(tmp_path):
    data_dir = tmp_path / "mongo"
    server = EmbeddedMongo(data_dir, env={"EMBEDDED_MONGO_FAULT": "after-dump-swap"})
    with server, MongoClient(server.uri) as client:
        _acknowledged_writes(client, server.uri)
        expected = _state(client)
        process = server.process
        # A clean stop dumps, swaps the dump in, then dies at the fault point before it
        # deletes the journal: the next start restores the dump AND replays the journal.
        server.stop()
        assert process.returncode == 86
    assert list(journal_dir(data_dir).glob("*.log"))
    assert (data_dir / "app" / "users.bson").is_file()
    with EmbeddedMongo(data_dir) as second, MongoClient(second.uri) as client:
        assert _state(client) == expected
        # And again after a clean stop (the journal is compacted into the dump).
        client.app.users.insert_one({"_id": "after", "email": "after@x.edu"})
        expected = _state(client)
    assert not list(journal_dir(data_dir).glob("*.log"))
    with EmbeddedMongo(data_dir) as third, MongoClient(third.uri) as client:
        assert _state(client) == expected


def test_torn_journal_tail_is_ignored(tmp_path):
    data_dir = tmp_path / "mongo"
    with EmbeddedMongo(data_dir) as first, MongoClient(first.uri) as client:
        client.app.docs.insert_many([{"_id": i, "v": i} for i in range(10)])
        _kill(first)
    (segment,) = journal_dir(data_dir).glob("*.log")
    _, valid, torn = scan_segment(segment.read_bytes())
    assert valid > 0 and not torn
    with segment.open("r+b") as handle:
        # A record whose header promises more bytes than were written before the crash.
        handle.seek(valid)
        handle.write(b"\xff\x00\x00\x00\x12\x34\x56\x78partial")
    with EmbeddedMongo(data_dir) as second, MongoClient(second.uri) as client:
        assert [doc["_id"] for doc in client.app.docs.find(sort=[("_id", 1)])] == list(range(10))
        client.app.docs.insert_one({"_id": 10})
        _kill(second)
    with EmbeddedMongo(data_dir) as third, MongoClient(third.uri) as client:
        assert client.app.docs.count_documents({}) == 11


CHILD = """
import os, sys, time
from pathlib import Path
from pymongo import MongoClient
from pymongo.errors import PyMongoError

out = Path(sys.argv[1])
uri = os.environ["MONGODB_URI"]
client = MongoClient(uri, serverSelectionTimeoutMS=2000, connectTimeoutMS=1000)
lines = [f"uri {uri}", f"pid {os.environ['MONGODB_EMBEDDED_PID']}"]
inserted = False
deadline = time.monotonic() + 90
while time.monotonic() < deadline and not Path(sys.argv[2]).exists():
    try:
        if not inserted:
            client.app.docs.insert_one({"_id": "before-kill"})
            inserted = True
        found = client.app.docs.find_one({"_id": "before-kill"}) is not None
        lines.append(f"ok {found}")
    except PyMongoError:
        lines.append("error")
    out.write_text("\\n".join(lines) + "\\n")
    time.sleep(0.1)
"""


def _launcher(tmp_path: Path, env_extra: dict[str, str]) -> tuple[subprocess.Popen, Path, Path]:
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    out, stop = tmp_path / "child.out", tmp_path / "stop"
    env = {key: value for key, value in os.environ.items() if key != "MONGODB_URI"}
    env.update(env_extra)
    launcher = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "embedded_mongo",
            "run",
            "--data-dir",
            str(tmp_path / "mongo"),
            "--",
            sys.executable,
            str(script),
            str(out),
            str(stop),
        ],
        cwd=REPO,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    return launcher, out, stop


def _wait_for(predicate, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def test_launcher_restarts_a_killed_database_on_the_same_port(tmp_path):
    launcher, out, stop = _launcher(tmp_path, {})
    try:
        _wait_for(lambda: any(line.startswith("ok") for line in _lines(out)))
        lines = _lines(out)
        uri, pid = lines[0].split(" ", 1)[1], int(lines[1].split()[1])
        os.kill(pid, signal.SIGKILL)
        killed_at = len(_lines(out))
        # The child keeps running and, after the restart, finds the earlier write again.
        _wait_for(lambda: "ok True" in _lines(out)[killed_at + 1 :])
        with MongoClient(uri, serverSelectionTimeoutMS=10000) as client:
            assert client.app.docs.find_one({"_id": "before-kill"}) == {"_id": "before-kill"}
        assert launcher.poll() is None
        stop.touch()
        _, stderr = launcher.communicate(timeout=120)
    finally:
        if launcher.poll() is None:
            launcher.kill()
            launcher.wait()
    assert launcher.returncode == 0, stderr
    assert f"(pid {pid}) died" in stderr and "restarting it on port" in stderr
    assert "database is back" in stderr


def test_launcher_gives_up_on_a_database_that_keeps_dying(tmp_path):
    launcher, out, stop = _launcher(tmp_path, {"EMBEDDED_MONGO_FAULT": "die-after-start"})
    try:
        _, stderr = launcher.communicate(timeout=120)
    finally:
        if launcher.poll() is None:
            launcher.kill()
            launcher.wait()
    assert launcher.returncode == 1
    assert "GIVING UP" in stderr and "times within" in stderr
    assert not stop.exists()  # the child was stopped by the launcher, not by the test


def test_kill_9_of_every_process_loses_no_acknowledged_write(tmp_path):
    launcher, out, stop = _launcher(tmp_path, {})
    try:
        _wait_for(lambda: "ok True" in _lines(out))
        server_pid = int(_lines(out)[1].split()[1])
        child_pid = next(
            int(pid)
            for pid in os.listdir("/proc")
            if pid.isdigit() and str(out).encode() in _cmdline(int(pid))
        )
        # The launcher's work directory (port file, server log): nobody is left to remove
        # it after a kill -9 of everything, so the test does.
        argv = _cmdline(server_pid).split(b"\0")
        workdir = Path(argv[argv.index(b"--port-file") + 1].decode()).parent
        # The server runs in a session of its own: kill it, the launcher and the child.
        for pid in (launcher.pid, child_pid, server_pid):
            os.kill(pid, signal.SIGKILL)
        launcher.wait(30)
        _wait_for(lambda: not _cmdline(server_pid) and not _cmdline(child_pid))
        shutil.rmtree(workdir)
    finally:
        if launcher.poll() is None:
            launcher.kill()
            launcher.wait()
    with EmbeddedMongo(tmp_path / "mongo") as server, MongoClient(server.uri) as client:
        assert client.app.docs.find_one({"_id": "before-kill"}) == {"_id": "before-kill"}


def _cmdline(pid: int) -> bytes:
    """The process's command line, b"" once it is gone (or a zombie)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError):
        return b""
