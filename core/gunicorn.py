"""gunicorn's configuration, as `make run` and the load bench start it:
`python -m gunicorn -c core/gunicorn.py --bind HOST:PORT`.

Every value comes from the Django settings (block "Serving"), which read the environment, so
WEB_WORKERS=4 make run works like any other setting. The master handles Ctrl-C (SIGINT: stop
now) and SIGTERM (stop after the requests in flight, WEB_GRACEFUL_TIMEOUT_SECONDS at most).
"""

import gc
import os
import threading

from config import settings

wsgi_app = "config.wsgi:application"
worker_class = "gthread"
workers = settings.WEB_WORKERS
threads = settings.WEB_THREADS
timeout = settings.WEB_TIMEOUT_SECONDS
graceful_timeout = settings.WEB_GRACEFUL_TIMEOUT_SECONDS
# No access log: the app's request log already writes one line per request (method, path,
# status, duration, user; core/request_log.py), REQUEST_LOG_LEVEL decides. gunicorn's own
# messages (start, workers, errors) go to stderr.
accesslog = None
errorlog = "-"
# gunicorn 27's control socket (for gunicornc) defaults to one path per user,
# ~/.gunicorn/gunicorn.ctl, which a second gunicorn on the machine (the load bench, another
# checkout) would take over; nothing here uses it.
control_socket_disable = True

# The cyclic garbage collector in a worker (issue 13). A worker holds about 120,000 tracked
# objects once the app is loaded (Django, ninja, pydantic, pymongo, numpy), and a full
# collection walked them all in 50-60 ms with the GIL held: every thread of the worker
# stalled. Under the load bench (warm-up and one 20 s mix) each worker ran 8-15 of them,
# 12-443 ms each (wall time: the collecting thread also waits for a core), 1.25-1.54 s per
# worker in all.
# So, once the app is loaded: collect, then freeze the survivors (gc.freeze(): moved to a
# permanent generation that no collection walks; reference counting still frees them).
# A larger first threshold lets a request's objects die young instead of being promoted
# while the request is in flight; promotions are what trigger full collections. Measured
# on the load bench's mix: 3 full collections per worker instead of 8-15, 16-64 ms each.
GC_THRESHOLDS = (10_000, 10, 10)


# glibc's limit on malloc arenas in a 64-bit process: 8 per core (mallopt(3), M_ARENA_MAX).
ARENAS_PER_CORE = 8


def warm_password_memory(threads: int) -> int:
    """Hash once in this thread, then once in each of `threads` threads alive together (at
    most glibc's arena limit), so the memory of later password checks is already mapped;
    returns the number of threads used.

    Why (measured on the load bench, issue 13): an Argon2id check takes its 19 MiB with
    malloc. The first in a process is mmap'd (glibc then raises its mmap threshold above
    it); after that each thread's malloc arena grows by 19 MiB at its first check, and
    every arena stays that size. Each growth first-touches 4,866 pages, and on these VMs
    that made the check 67 ms of CPU instead of 25 on average. A worker has up to 16 arenas
    (2 cores), so its first 16 or so logins paid it, in the login burst when a mix starts.
    Threads alive together each get an arena of their own (new threads take the arenas
    that exited ones leave), so after this the worker's threads check on mapped memory.
    The memory is what the arenas reach anyway once each has served a login.
    """
    from django.contrib.auth.hashers import get_hasher

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


def post_worker_init(worker) -> None:
    """gunicorn's hook, called in each worker after it has loaded the app."""
    warm_password_memory(threads)
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
