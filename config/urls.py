import sys

from django.contrib import admin
from django.urls import path, re_path
from django.views.decorators.csrf import csrf_exempt

import chat.api
import matching.api
import matching.api_rounds
import users.api
import users.api_password
from core import health
from core.api import api
from core.errors import (
    AppError,
    ForbiddenError,
    NotFoundError,
    database_error,
    error_response,
    internal_error_response,
)


@csrf_exempt  # a POST to an unknown route (or a real one without its slash) is a 404, not a 403
def not_found(request, *args, **kwargs):
    """Unknown routes answer JSON 404, whatever DEBUG and the method say."""
    return error_response(NotFoundError(f"No route for {request.path}."))


def bad_request(request, exception=None):
    """Django's 400 (a disallowed Host header, a malformed request) as JSON."""
    return error_response(AppError("Bad request."))


def permission_denied(request, exception=None):
    return error_response(ForbiddenError())


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: only the admin's forms are CSRF-protected (API views and the
    catch-all are exempt), but even there a failure answers JSON, not Django's HTML page."""
    return error_response(ForbiddenError(f"CSRF verification failed: {reason}"))


def server_error(request, *args, **kwargs):
    """handler500 (DEBUG off), called inside Django's except block: a database failure is a
    503 here too, e.g. one raised by a middleware outside core.errors.ErrorMiddleware."""
    error = database_error(sys.exc_info()[1])
    return error_response(error) if error else internal_error_response()


# The API's routers: each app's operations; core never imports the apps.
api.add_router("/health/", health.router)
api.add_router("", users.api.router)
api.add_router("/matching/", matching.api.router)
api.add_router("/matching/", matching.api_rounds.router)
api.add_router("/chat/", chat.api.router)
api.add_router("", users.api_password.router)

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", api.urls),
    re_path(r"^.*$", not_found),
]

handler400 = bad_request
handler403 = permission_denied
handler404 = not_found
handler500 = server_error
