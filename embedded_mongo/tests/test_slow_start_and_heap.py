"""A data directory that takes longer than START_TIMEOUT to load still starts (the server
prints progress, the launcher waits while it does), and gap p: the server's heap is frozen
out of the cyclic collector's reach (embedded_mongo/server.py freeze_heap)."""

import gc
import weakref

import pytest
from pymongo import MongoClient

from embedded_mongo import EmbeddedMongo, launcher
from embedded_mongo.server import freeze_heap


def _data_dir_with_documents(tmp_path, count: int):
    data_dir = tmp_path / "mongo"
    with EmbeddedMongo(data_dir) as server, MongoClient(server.uri) as client:
        client.app.items.insert_many([{"n": n} for n in range(count)])
    return data_dir


def test_a_load_slower_than_the_start_timeout_starts_while_it_reports_progress(
    tmp_path, monkeypatch
):
    data_dir = _data_dir_with_documents(tmp_path, 1500)
    # Each of the two restore batches takes 5 s under this fault, printing every second:
    # 10 s to load, against 4 s of START_TIMEOUT (the interpreter's start fits in that).
    monkeypatch.setattr(launcher, "START_TIMEOUT", 4.0)
    slow = {"EMBEDDED_MONGO_FAULT": "slow-restore"}
    with EmbeddedMongo(data_dir, env=slow) as server, MongoClient(server.uri) as client:
        assert client.app.items.count_documents({}) == 1500
        log = server._log_tail()
    assert f"restoring {data_dir}: 1,000 documents" in log
    assert f"restoring {data_dir}: 1,500 documents" in log


def test_a_silent_start_still_times_out(tmp_path, monkeypatch):
    # The same load without progress lines (they are what keeps the launcher waiting).
    data_dir = _data_dir_with_documents(tmp_path, 10)
    monkeypatch.setattr(launcher, "START_TIMEOUT", 4.0)
    monkeypatch.setattr(launcher.Path, "stat", _frozen_size(launcher.Path.stat))
    server = EmbeddedMongo(data_dir, env={"EMBEDDED_MONGO_FAULT": "slow-restore"})
    with pytest.raises(RuntimeError, match="did not listen within 4 s"):
        server.start()
    server.stop()


def _frozen_size(stat):
    """Path.stat with the server log's size pinned at 0: no output ever seen."""

    class Pinned:
        st_size = 0

    def pinned(self, *args, **kwargs):
        return Pinned() if self.name == "server.log" else stat(self, *args, **kwargs)

    return pinned


def test_the_server_freezes_its_heap_once_loaded(tmp_path):
    data_dir = _data_dir_with_documents(tmp_path, 3000)
    with EmbeddedMongo(data_dir) as server:
        log = server._log_tail()
    line = next(x for x in log.splitlines() if "objects frozen" in x)
    frozen = int(line.split("loaded; ")[1].split(" objects")[0].replace(",", ""))
    assert frozen >= 3000  # at least one object a stored document


class _Node:
    def __init__(self) -> None:
        self.other: _Node | None = None


@pytest.fixture
def unfrozen():
    yield
    gc.unfreeze()


def test_freeze_heap_moves_survivors_out_of_the_collectors_reach(unfrozen):
    gc.unfreeze()
    before = gc.get_freeze_count()
    kept = [{"n": n} for n in range(5000)]  # a stored collection's documents
    # Cyclic garbage from before the freeze is collected, not frozen.
    dead_a, dead_b = _Node(), _Node()
    dead_a.other, dead_b.other = dead_b, dead_a
    dead = weakref.ref(dead_a)
    del dead_a, dead_b
    freeze_heap()
    assert dead() is None
    assert gc.get_freeze_count() >= before + len(kept)
    assert all(not gc.is_finalized(doc) for doc in kept[:10])
    # Frozen objects are still freed by reference counting when the last reference goes.
    alive = _Node()
    probe = weakref.ref(alive)
    freeze_heap()
    del alive
    assert probe() is None
