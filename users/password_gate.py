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
