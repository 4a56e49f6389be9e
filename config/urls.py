from django.contrib import admin
from django.http import JsonResponse
from django.urls import include, path, re_path

from config import api_docs
from config.errors import NotFoundError, error_response
from config.http import json_endpoint


def not_found(request, *args, **kwargs):
    """Unknown routes answer JSON 404, whatever DEBUG says."""
    return error_response(NotFoundError(f"No route for {request.path}."))


def server_error(request, *args, **kwargs):
    return JsonResponse({"error": "Internal server error.", "code": "internal_error"}, status=500)


@json_endpoint("GET", auth=False)
def health(request):
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("admin/", admin.site.urls),
    path("health/", health, name="health"),
    path("", include("users.urls")),
    path("matching/", include("matching.urls")),
    path("chat/", include("chat.urls")),
    path("api/docs/", api_docs.docs_page, name="api-docs"),
    path("api/openapi.yaml", api_docs.openapi_yaml, name="api-openapi-yaml"),
    # Swagger UI's files, not API operations: a regex route, so test_openapi.py (which
    # checks every path() route against the spec) leaves it out, as it does the admin.
    re_path(r"^api/docs/assets/(?P<name>[^/]+)$", api_docs.asset, name="api-docs-asset"),
    re_path(r"^.*$", not_found),
]

handler404 = not_found
handler500 = server_error
