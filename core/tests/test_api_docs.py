"""/api/docs/ (Swagger UI over docs/openapi.yaml): the page, its assets, the spec route, and
once, in headless Chromium, that every path of the spec is rendered.

The browser test is marked `browser` and skips where Chromium is missing; `make test-browser`
installs Debian's chromium and runs it. CHROMIUM=<path> points it at another binary (a path
that does not exist simulates a machine without Chromium).
"""

import html
import os
import re
import subprocess
import tempfile
from html.parser import HTMLParser
from http import HTTPStatus
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SPEC_TEXT = (ROOT / "docs" / "openapi.yaml").read_text()
SPEC = yaml.safe_load(SPEC_TEXT)
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")

CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".png": "image/png",
}


class _References(HTMLParser):
    """Every src= and href= of the page."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]


def _page_urls(client) -> list[str]:
    parser = _References()
    parser.feed(client.get("/api/docs/").content.decode())
    return parser.urls


def test_docs_page_is_html_with_a_strict_policy(client):
    response = client.get("/api/docs/")

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "text/html; charset=utf-8"
    body = response.content.decode()
    assert 'data-spec-url="/api/openapi.yaml"' in body
    assert "<script>" not in body  # no inline script: the start code is an asset
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "default-src 'none'" in policy


def test_docs_page_references_only_same_origin_assets_and_each_is_served(client):
    urls = _page_urls(client)

    assert len(urls) >= 4  # favicon, css, bundle, init (+ the spec link in <noscript>)
    for url in urls:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc, url  # no http(s)://, no //host
        assert url.startswith("/"), url
    assets = [url for url in urls if url.startswith("/api/docs/assets/")]
    assert {urlsplit(url).path.rsplit("/", 1)[1] for url in assets} == {
        "favicon-32x32.png",
        "swagger-ui.css",
        "swagger-ui-bundle.js",
        "init.js",
    }
    for url in assets:
        response = client.get(url)
        assert response.status_code == HTTPStatus.OK, url
        suffix = Path(urlsplit(url).path).suffix
        assert response["Content-Type"] == CONTENT_TYPES[suffix], url
        assert response["Cache-Control"] == "public, max-age=31536000, immutable", url
        assert response.content, url


def test_init_script_loads_the_spec_from_this_server_and_nothing_else(client):
    init = next(url for url in _page_urls(client) if "/init.js" in url)
    script = client.get(init).content.decode()

    assert "root.dataset.specUrl" in script
    assert "validatorUrl: null" in script  # else Swagger UI calls validator.swagger.io
    assert "deepLinking: true" in script
    assert not re.search(r"https?://", script)


def test_assets_revalidate_without_the_version_and_answer_304_to_their_etag(client):
    response = client.get("/api/docs/assets/swagger-ui.css")
    assert response.status_code == HTTPStatus.OK
    assert response["Cache-Control"] == "no-cache"

    again = client.get("/api/docs/assets/swagger-ui.css", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == HTTPStatus.NOT_MODIFIED
    assert again.content == b""


@pytest.mark.parametrize(
    "name",
    [
        "nope.js",
        "swagger-ui-standalone-preset.js",  # in the package, not in the allowlist
        "LICENSE",
        "..%2F..%2F__init__.py",
        "%2e%2e",
    ],
)
def test_unknown_assets_are_json_404(client, name):
    response = client.get(f"/api/docs/assets/{name}")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["code"] == "not_found"


def test_paths_outside_the_assets_folder_are_json_404(client):
    for path in ("/api/docs/assets/../../config/settings.py", "/api/docs/assets/a/b.js"):
        response = client.get(path)
        assert response.status_code == HTTPStatus.NOT_FOUND, path
        assert response.json()["code"] == "not_found", path


def test_openapi_yaml_is_the_spec_file(client):
    response = client.get("/api/openapi.yaml")

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/yaml; charset=utf-8"
    assert yaml.safe_load(response.content) == SPEC
    assert response.content.decode() == SPEC_TEXT


@pytest.mark.parametrize(
    "path", ["/api/docs/", "/api/openapi.yaml", "/api/docs/assets/swagger-ui.css"]
)
def test_wrong_method_is_json_405(client, path):
    response = client.post(path)

    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert response.json()["code"] == "method_not_allowed"
    assert response["Allow"] == "GET, HEAD"


# --- in a real browser ------------------------------------------------------------------


def _chromium_dom(url: str) -> tuple[str, str]:
    """The DOM of url after Chromium has run its scripts, and Chromium's log."""
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        result = subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                # Every host but the live server is unreachable: the page must not need a CDN.
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
                "--enable-logging=stderr",
                "--v=0",
                "--virtual-time-budget=15000",
                "--dump-dom",
                url,
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout, result.stderr


@pytest.mark.browser
@pytest.mark.skipif(
    not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)),
    reason=f"Chromium not installed ({CHROMIUM}); run `make test-browser`",
)
def test_swagger_ui_renders_every_path_of_the_spec_in_headless_chromium(live_server):
    dom, log = _chromium_dom(f"{live_server.url}/api/docs/")

    # Swagger UI renders each operation as <span class="opblock-summary-path" data-path=...>.
    rendered = {html.unescape(p) for p in re.findall(r'data-path="([^"]*)"', dom)}
    missing = sorted(set(SPEC["paths"]) - rendered)
    assert not missing, f"paths of docs/openapi.yaml not rendered on /api/docs/: {missing}"
    assert SPEC["info"]["title"] in dom
    assert 'class="btn authorize' in dom  # the spec's bearerAuth gives an Authorize button
    blocked = [line for line in log.splitlines() if "Content Security Policy" in line]
    assert not blocked, "\n".join(blocked)
