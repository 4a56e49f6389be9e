from django.contrib import admin
from django.http import JsonResponse
from django.urls import include, path, re_path

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
    re_path(r"^.*$", not_found),
]

handler404 = not_found
handler500 = server_error
