"""One log line per request: method, path, status, duration, user id and request id.

Never logged: headers (so no tokens), query strings, request or response bodies (so no
passwords). The path is JSON-quoted, so a path carrying newlines or quotes cannot forge
extra log lines. The middleware sits first in MIDDLEWARE, so the duration covers every
other middleware and the status is the one the client gets, 500s included.

Each response carries an X-Request-ID header: the client's own, when it sent a short
safe one (so a proxy's id can be followed through), or a fresh random one.
"""

import json
import logging
import re
import time
import uuid

from django.utils.functional import SimpleLazyObject, empty

logger = logging.getLogger("core.requests")

REQUEST_ID_HEADER = "X-Request-ID"
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_MAX_PATH = 300


def _request_id(request) -> str:
    supplied = request.headers.get(REQUEST_ID_HEADER, "")
    if _SAFE_REQUEST_ID.fullmatch(supplied):
        return supplied
    return uuid.uuid4().hex


def _user_id(request) -> str:
    # core.auth.BearerAuth sets request.user to the authenticated User; the admin's session user
    # comes from AuthenticationMiddleware. Anything else is anonymous.
    user = getattr(request, "user", None)
    if isinstance(user, SimpleLazyObject) and user._wrapped is empty:
        # Never loaded by the request (or its loading failed): loading it here would query
        # the database after the response was made, outside every error handler, and with
        # the database down turn the JSON 503 into Django's 500 page.
        return "-"
    if user is not None and getattr(user, "is_authenticated", False):
        return str(user.pk)
    return "-"


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = _request_id(request)
        request.request_id = request_id
        started = time.perf_counter()
        response = self.get_response(request)
        duration_ms = (time.perf_counter() - started) * 1000
        response[REQUEST_ID_HEADER] = request_id
        status = response.status_code
        logger.log(
            logging.ERROR if status >= 500 else logging.INFO,
            "method=%s path=%s status=%d duration_ms=%.1f user=%s request_id=%s",
            request.method,
            json.dumps(request.path[:_MAX_PATH]),
            status,
            duration_ms,
            _user_id(request),
            request_id,
        )
        return response
