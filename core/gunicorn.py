"""gunicorn's configuration, as `make run` and the load bench start it:
`python -m gunicorn -c core/gunicorn.py --bind HOST:PORT`.

Every value comes from the Django settings (block "Serving"), which read the environment, so
WEB_WORKERS=4 make run works like any other setting. The master handles Ctrl-C (SIGINT: stop
now) and SIGTERM (stop after the requests in flight, WEB_GRACEFUL_TIMEOUT_SECONDS at most).
"""

import gc

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


def post_worker_init(worker) -> None:
    """gunicorn's hook, called in each worker after it has loaded the app."""
    # Map the memory of the worker's password checks before it serves (issue 13).
    from users import password_gate

    password_gate.warm_up(threads)
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
