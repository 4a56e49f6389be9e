"""The interactive API reference: Swagger UI at /api/docs/ over docs/openapi.yaml.

Swagger UI's own files come from the drf-spectacular-sidecar package (pinned in
requirements.txt) and are served by `asset` below from a fixed allowlist: nothing is loaded
from a CDN, nothing needs collectstatic, and it works with DEBUG on or off. An asset name is
only ever a key of `_ASSETS`, so no request can reach any other file.

Asset URLs carry a hash of the file (`?v=`), so a matching request may be cached for a year;
any other is revalidated through its ETag. The page itself has no inline script (the start
code is `_INIT_JS`, served as an asset) and a Content-Security-Policy allowing 'self' only.
"""

import hashlib
from functools import cache
from pathlib import Path

import drf_spectacular_sidecar
from django.conf import settings
from django.http import HttpResponse, HttpResponseNotModified
from django.urls import reverse
from django.utils.html import escape
from django.utils.http import parse_etags

from core.errors import NotFoundError
from core.http import json_endpoint

SWAGGER_UI_DIR = (
    Path(drf_spectacular_sidecar.__file__).resolve().parent
    / "static"
    / "drf_spectacular_sidecar"
    / "swagger-ui-dist"
)
SPEC_PATH = Path(settings.BASE_DIR) / "docs" / "openapi.yaml"

# Swagger UI reads its options from here; the spec URL comes from the page (data-spec-url).
# validatorUrl null: otherwise it asks validator.swagger.io for a badge.
# Authorize needs no option: the spec's bearerAuth scheme makes Swagger UI ask for a token
# and send it as "Authorization: Bearer <token>" on "Try it out".
_INIT_JS = b"""\
"use strict";
(function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.specUrl,
    domNode: root,
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    validatorUrl: null,
    displayRequestDuration: true,
  });
})();
"""

_JS = "text/javascript; charset=utf-8"
_CSS = "text/css; charset=utf-8"

# name -> (content type, file in the package or None for _INIT_JS)
_ASSETS: dict[str, tuple[str, Path | None]] = {
    "swagger-ui.css": (_CSS, SWAGGER_UI_DIR / "swagger-ui.css"),
    # Only fetched by browser developer tools (the CSS ends with a sourceMappingURL).
    "swagger-ui.css.map": ("application/json", SWAGGER_UI_DIR / "swagger-ui.css.map"),
    "swagger-ui-bundle.js": (_JS, SWAGGER_UI_DIR / "swagger-ui-bundle.js"),
    "favicon-32x32.png": ("image/png", SWAGGER_UI_DIR / "favicon-32x32.png"),
    "init.js": (_JS, None),
}

# Swagger UI needs no 'unsafe-inline' or 'unsafe-eval' (React sets its inline styles through
# the CSSOM, which CSP allows); data: images: its CSS draws icons as data: URLs.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)

_PAGE = """\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Mentor Match API reference</title>
<link rel="icon" type="image/png" href="{favicon}">
<link rel="stylesheet" href="{css}">
</head>
<body>
<noscript>This page needs JavaScript; the spec itself is at <a href="{spec}">{spec}</a>.</noscript>
<div id="swagger-ui" data-spec-url="{spec}"></div>
<script src="{bundle}"></script>
<script src="{init}"></script>
</body>
</html>
"""


@cache
def _load(name: str) -> tuple[bytes, str]:
    """The bytes of an allowlisted asset and a short hash of them (its version)."""
    _, path = _ASSETS[name]
    content = _INIT_JS if path is None else path.read_bytes()
    return content, hashlib.sha256(content).hexdigest()[:16]


def asset_url(name: str) -> str:
    _, version = _load(name)
    return f"{reverse('api-docs-asset', kwargs={'name': name})}?v={version}"


@json_endpoint("GET", auth=False)
def docs_page(request):
    """GET /api/docs/: Swagger UI, pre-loaded with /api/openapi.yaml."""
    html = _PAGE.format(
        favicon=escape(asset_url("favicon-32x32.png")),
        css=escape(asset_url("swagger-ui.css")),
        bundle=escape(asset_url("swagger-ui-bundle.js")),
        init=escape(asset_url("init.js")),
        spec=escape(reverse("api-openapi-yaml")),
    )
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response["Cache-Control"] = "no-cache"
    return response


@json_endpoint("GET", auth=False)
def openapi_yaml(request):
    """GET /api/openapi.yaml: docs/openapi.yaml as it is on disk."""
    response = HttpResponse(SPEC_PATH.read_bytes(), content_type="application/yaml; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response


@json_endpoint("GET", auth=False)
def asset(request, name: str):
    """GET /api/docs/assets/<name>: one file of the allowlist, else a JSON 404."""
    if name not in _ASSETS:
        raise NotFoundError(f"No API docs asset named {name!r}.")
    content_type, _ = _ASSETS[name]
    content, version = _load(name)
    etag = f'"{version}"'
    if request.GET.get("v") == version:
        cache_control = "public, max-age=31536000, immutable"
    else:
        cache_control = "no-cache"
    if etag in parse_etags(request.headers.get("If-None-Match", "")):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(content, content_type=content_type)
    response["ETag"] = etag
    response["Cache-Control"] = cache_control
    return response
