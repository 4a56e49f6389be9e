"""The server role: mongoeco's wire server over a patched MemoryEngine (Python 3.13, .venv-mongo).

``python -m embedded_mongo serve --port-file PATH [--data-dir DIR] ...`` (started by the
launcher, embedded_mongo/launcher.py, with the repository as working directory and on
PYTHONPATH) runs ``mongoeco.wire.AsyncMongoEcoProxyServer`` over a ``MemoryEngine`` patched
by embedded_mongo/patches/, restores/dumps DIR in mongodump layout and replays its journal
(embedded_mongo/persistence.py), and exits cleanly on SIGINT/SIGTERM or when its parent
process disappears. Never imports Django.

Why nothing may block the event loop (gap f): the wire server executes every command on one
asyncio event loop, so a slow command delays every connection, including pymongo's
monitoring heartbeats. The app's pymongo timeouts are bounded (a few seconds, from Django
settings via DATABASES OPTIONS, which override URI options); the URI therefore carries only
directConnection=true, and the server must never hold the loop for more than ~1 s at
demo/test sizes. The engine patches keep ordinary ORM writes O(1); journal fsyncs run
on a writer thread (the loop only awaits them); dumps yield to the loop every
DUMP_YIELD_EVERY documents and write/fsync their files on a worker thread. Running
commands off the loop was rejected: the engine's locks and MVCC state are loop-affine
(``asyncio`` locks taken by async engine methods), so threads would need a second loop per
command and would race on the engine's shared dictionaries.

Why the heap is frozen (gap p): the data lives in the server's heap as Python dicts and
lists, millions of objects at a cohort of a few hundred (133,518 scores: ~30 MB dumped). A
full (generation 2) run of the cyclic garbage collector walks every one of them while the
loop waits: 1.4 s measured mid-load, every request of the app stalled behind it. After the
restore, and every GC_FREEZE_INTERVAL seconds after that, freeze_heap() collects the young
generations and moves every surviving object to the permanent generation
(``gc.freeze()``), which the collector never walks: a full collection then covers only what
was allocated since the last freeze. Reference counting still frees every object whose last
reference goes (a deleted document, a finished command), frozen or not; what a freeze can
keep is only a reference cycle made of objects alive at that moment that die later (a
command in flight then): a leak, not measured yet (docs/operations.md, gap p).
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import gc
import os
import signal
import sys
from pathlib import Path

from embedded_mongo import persistence
from embedded_mongo.patches import apply_patches, check_mongoeco_version
from embedded_mongo.persistence import Journal, dump, journal_dir, replay, restore

DEFAULT_DUMP_INTERVAL = 300.0
CHANGE_LOG_ENTRIES = 1000
GC_FREEZE_INTERVAL = 10.0


def lock_data_dir(data_dir: Path) -> int:
    """Take DIR.lock (beside the data directory) for this server's lifetime; returns its
    descriptor, to keep open. A second server on the same data would restore it too, journal
    beside this one and replace its dumps with its own: it refuses to start instead, naming
    the holder. The kernel drops the lock when the holder dies (SIGKILL included), so a
    restart after a crash is never blocked."""
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    path = data_dir.with_name(data_dir.name + ".lock")
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
        os.close(fd)
        raise SystemExit(
            f"embedded_mongo: {data_dir} is in use by another embedded server (pid {holder}); "
            "stop it first (Ctrl-C in its terminal)"
        ) from None
    os.ftruncate(fd, 0)
    os.write(fd, str(os.getpid()).encode())
    return fd


def freeze_heap(*, full: bool = False) -> None:
    """Collect (the young generations, or all with full=True), then move every surviving
    object out of the collector's reach (gap p in the module's docstring)."""
    gc.collect(2 if full else 1)
    gc.freeze()


def _parent_alive(parent_pid: int) -> bool:
    """True while the launcher that started us runs (reparenting means it died)."""
    if os.getppid() != parent_pid:
        return False
    try:
        os.kill(parent_pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _write_port_file(path: Path, port: int) -> None:
    """Publish the bound port atomically (the launcher polls for the file)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(f"{port}\n")
    os.replace(tmp, path)


def _journaling_server_class() -> type:
    """The wire server, answering each request only once its writes are journaled."""
    from mongoeco.wire import AsyncMongoEcoProxyServer

    class JournalingProxyServer(AsyncMongoEcoProxyServer):
        async def _dispatch_wire_request(self, header, payload, *, connection):
            response = await super()._dispatch_wire_request(header, payload, connection=connection)
            # Whatever this request committed (even a failed ordered insert commits its
            # first documents) is durable before the reply leaves: the acknowledgement.
            journal = persistence.active_journal
            if journal is not None:
                await journal.sync()
            return response

    return JournalingProxyServer


async def serve(args: argparse.Namespace) -> int:
    """Run the wire server until a signal or the parent's death, dumping on the way out."""
    import asyncio

    from mongoeco import AsyncMongoClient
    from mongoeco.engines.memory import MemoryEngine

    if os.environ.get("EMBEDDED_MONGO_NO_PATCHES") == "1":
        # Benchmark comparison only (bench/db_raw_probe.py).
        check_mongoeco_version()
        print("embedded_mongo: patches DISABLED", file=sys.stderr, flush=True)
    else:
        apply_patches()
    data_dir = Path(args.data_dir).resolve() if args.data_dir else None
    lock = lock_data_dir(data_dir) if data_dir is not None else None  # noqa: F841 (held)
    # Every committed write copies the engine's change-stream outbox (up to
    # change_log_max_entries, default 10,000) in _prepare_committed_changes_locked, so the
    # per-write cost grew with the number of writes until that cap. The app opens no
    # change streams; a 1,000-entry resume window keeps that copy ~10x cheaper.
    client = AsyncMongoClient(MemoryEngine(change_log_max_entries=CHANGE_LOG_ENTRIES))
    # The server gets our client (so it does not own the engine): closing the listener
    # then leaves the data in place for the final dump.
    async with client:
        journal = None
        # No collector while the heap only grows (each full collection would walk all that
        # was loaded so far); one full collection at the end, then the freeze (gap p).
        gc.disable()
        try:
            if data_dir is not None:
                await restore(client, data_dir)
                replayed = await replay(client, data_dir)
                if replayed:
                    print(f"embedded_mongo: replayed {replayed} journal records", file=sys.stderr)
        finally:
            freeze_heap(full=True)
            gc.enable()
        print(
            f"embedded_mongo: loaded; {gc.get_freeze_count():,} objects frozen out of the "
            "cyclic collector's reach",
            file=sys.stderr,
            flush=True,
        )
        if data_dir is not None:
            segments = persistence.segments(journal_dir(data_dir))
            journal = Journal(journal_dir(data_dir), (segments[-1][0] + 1) if segments else 1)
            if os.environ.get("EMBEDDED_MONGO_NO_PATCHES") != "1":
                persistence.active_journal = journal
        # asyncio.start_server binds with SO_REUSEADDR (its default on POSIX), so a
        # restarted server can take the same --port at once.
        server = _journaling_server_class()(client=client, host="127.0.0.1", port=args.port)
        address = await server.start()
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stopping.set)
        _write_port_file(Path(args.port_file), address.port)
        if os.environ.get("EMBEDDED_MONGO_FAULT") == "die-after-start":
            # Test fault point: a database that keeps dying (the launcher's give-up path).
            loop.call_later(1.5, os._exit, 87)

        async def watch_parent() -> None:
            while _parent_alive(args.parent_pid):
                await asyncio.sleep(1.0)
            stopping.set()

        async def every(seconds: float, action) -> None:
            # Wait on `stopping` rather than being cancelled: an action in progress finishes.
            while not stopping.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), seconds)
                    return
                await action()

        async def freeze() -> None:
            freeze_heap()

        freezer = asyncio.create_task(every(GC_FREEZE_INTERVAL, freeze))
        watcher = None
        if args.parent_pid is not None:
            watcher = asyncio.create_task(watch_parent())
        dumper = None
        if data_dir is not None and args.dump_interval > 0:
            dumper = asyncio.create_task(
                every(args.dump_interval, lambda: dump(client, data_dir, journal))
            )
        await stopping.wait()
        if watcher is not None:
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)
        if dumper is not None:
            await dumper
        await freezer
        # Close first so every acknowledged write is in the final dump.
        await server.close()
        if data_dir is not None:
            await dump(client, data_dir, journal)
            journal.close()
            persistence.active_journal = None
    return 0
