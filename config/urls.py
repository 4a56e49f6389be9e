import sys

import pymongo
from django.conf import settings
from django.contrib import admin
from django.db import connection
from django.http import JsonResponse
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt

from config import api_docs
from config.errors import (
    ForbiddenError,
    MatchingError,
    NotFoundError,
    database_error,
    error_response,
    internal_error_response,
)
from config.http import json_endpoint


@csrf_exempt  # a POST to an unknown route (or a real one without its slash) is a 404, not a 403
def not_found(request, *args, **kwargs):
    """Unknown routes answer JSON 404, whatever DEBUG and the method say."""
    return error_response(NotFoundError(f"No route for {request.path}."))


def bad_request(request, exception=None):
    """Django's 400 (a disallowed Host header, a malformed request) as JSON."""
    return error_response(MatchingError("Bad request."))


def permission_denied(request, exception=None):
    return error_response(ForbiddenError())


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: only the admin's forms are CSRF-protected (API views and the
    catch-all are exempt), but even there a failure answers JSON, not Django's HTML page."""
    return error_response(ForbiddenError(f"CSRF verification failed: {reason}"))


def server_error(request, *args, **kwargs):
    """handler500 (DEBUG off), called inside Django's except block: a database failure is a
    503 here too, e.g. one raised by a middleware outside config.errors.ErrorMiddleware."""
    error = database_error(sys.exc_info()[1])
    return error_response(error) if error else internal_error_response()


@json_endpoint("GET", auth=False)
def health_live(request):
    """Liveness: the process answers HTTP. Never touches the database, so a dead database
    does not make an orchestrator restart healthy app processes."""
    return JsonResponse({"status": "ok"})


@json_endpoint("GET", auth=False)
def health_ready(request):
    """Readiness (also /health/): the database answers a ping within HEALTH_DB_TIMEOUT_MS,
    else 503 database_unavailable (rendered by config.errors from the pymongo error)."""
    with pymongo.timeout(settings.HEALTH_DB_TIMEOUT_MS / 1000):
        connection.ensure_connection()
        connection.connection.admin.command("ping")
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("admin/", admin.site.urls),
    path("health/", health_ready, name="health"),
    path("health/live/", health_live, name="health-live"),
    path("health/ready/", health_ready, name="health-ready"),
    path("", include("users.urls")),
    path("matching/", include("matching.urls")),
    path("matching/", include("matching.urls_rounds")),
    path("chat/", include("chat.urls")),
    path("api/docs/", api_docs.docs_page, name="api-docs"),
    path("api/openapi.yaml", api_docs.openapi_yaml, name="api-openapi-yaml"),
    # Swagger UI's files, not API operations: a regex route, so test_openapi.py (which
    # checks every path() route against the spec) leaves it out, as it does the admin.
    re_path(r"^api/docs/assets/(?P<name>[^/]+)$", api_docs.asset, name="api-docs-asset"),
    re_path(r"^.*$", not_found),
]

handler400 = bad_request
handler403 = permission_denied
handler404 = not_found
handler500 = server_error
