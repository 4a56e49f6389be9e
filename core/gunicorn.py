"""gunicorn's configuration, as `make run` and the load bench start it:
`python -m gunicorn -c core/gunicorn.py --bind HOST:PORT`.

Every value comes from the Django settings (block "Serving"), which read the environment, so
WEB_WORKERS=4 make run works like any other setting. The master handles Ctrl-C (SIGINT: stop
now) and SIGTERM (stop after the requests in flight, WEB_GRACEFUL_TIMEOUT_SECONDS at most).
"""

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
