"""A per-process bound on concurrent password hashes and checks (docs/operations.md
"Passwords").

A password check is deliberately expensive CPU work (tens of ms with Argon2id; a quarter
of a second with the PBKDF2 hashes not yet upgraded) and both argon2-cffi and hashlib run
it outside the GIL. Unbounded, a burst of logins fills every core and every other request
of the process queues behind them. Through slot() at most PASSWORD_CHECKS_PER_PROCESS
hashes run at once in a process; a request that finds no free slot waits up to
PASSWORD_CHECK_WAIT_MS, then gets 503 server_busy with Retry-After instead of a hash.

The bound is per process (a threading semaphore): with several gunicorn workers the
host runs at most workers × PASSWORD_CHECKS_PER_PROCESS hashes at once. A process forked
from one that holds slots starts with all its slots free.
"""

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.contrib.auth.hashers import get_hasher

from core.errors import ServerBusyError

_lock = threading.Lock()
# (size, semaphore): rebuilt when PASSWORD_CHECKS_PER_PROCESS changes (tests override it).
_gate: tuple[int, threading.BoundedSemaphore] | None = None


def _semaphore() -> threading.BoundedSemaphore:
    global _gate
    size = settings.PASSWORD_CHECKS_PER_PROCESS
    with _lock:
        if _gate is None or _gate[0] != size:
            _gate = (size, threading.BoundedSemaphore(size))
        return _gate[1]


def _reset_after_fork() -> None:
    global _gate, _lock
    # The child has one thread: slots its parent's other threads held are not in use here.
    _lock = threading.Lock()
    _gate = None


os.register_at_fork(after_in_child=_reset_after_fork)


@contextmanager
def slot() -> Iterator[None]:
    """Hold one of the process's password-check slots; raise ServerBusyError when none
    frees up within PASSWORD_CHECK_WAIT_MS."""
    semaphore = _semaphore()
    if not semaphore.acquire(timeout=settings.PASSWORD_CHECK_WAIT_MS / 1000):
        raise ServerBusyError()
    try:
        yield
    finally:
        semaphore.release()


# glibc's limit on malloc arenas in a 64-bit process: 8 per core (mallopt(3), M_ARENA_MAX).
ARENAS_PER_CORE = 8


def warm_up(threads: int) -> int:
    """Hash once in this thread, then once in each of `threads` threads alive together (at
    most glibc's arena limit), so the memory of later password checks is already mapped;
    returns the number of threads used. For a gunicorn worker before it serves (its
    post_worker_init hook, core/gunicorn.py).

    Why (measured on the load bench, issue 13): an Argon2id check takes its 19 MiB with
    malloc. The first in a process is mmap'd (glibc then raises its mmap threshold above
    it); after that each thread's malloc arena grows by 19 MiB at its first check, and
    every arena stays that size. Each growth first-touches 4,866 pages, and on these VMs
    that made the check 67 ms of CPU instead of 25 on average. A worker has up to 16 arenas
    (2 cores), so its first 16 or so logins paid it, in the login burst when a mix starts.
    Threads alive together each get an arena of their own (new threads take the arenas
    that exited ones leave), so after this the workers' threads check on mapped memory.
    The memory is what the arenas reach anyway once each has served a login.
    """
    hasher = get_hasher()  # the first hasher: what new and upgraded hashes use
    hasher.encode("warm-up", hasher.salt())
    count = max(1, min(threads, ARENAS_PER_CORE * (os.cpu_count() or 1)))
    together = threading.Barrier(count)

    def one() -> None:
        together.wait()
        hasher.encode("warm-up", hasher.salt())

    started = [threading.Thread(target=one, name=f"password-warm-up-{i}") for i in range(count)]
    for thread in started:
        thread.start()
    for thread in started:
        thread.join()
    return count
