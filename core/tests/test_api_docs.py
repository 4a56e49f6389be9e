"""/api/docs/ (django-ninja's Swagger UI over the spec of the code): the page, its static
files (ninja's own, served by WhiteNoise after collectstatic, DEBUG off, no CDN), the spec
route, and once, in headless Chromium, that every path of the spec is rendered.

The browser test is marked `browser` and skips where Chromium is missing; `make test-browser`
installs Debian's chromium and runs it. CHROMIUM=<path> points it at another binary (a path
that does not exist simulates a machine without Chromium).
"""

import html
import json
import os
import re
import subprocess
import tempfile
from html.parser import HTMLParser
from http import HTTPStatus
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]
SPEC = json.loads((ROOT / "docs" / "openapi.json").read_text())
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


class _Page(HTMLParser):
    """Every src= and href= of the page, and whether it has an executable inline script."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts = 0
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.urls += [value for name, value in attrs.items() if name in ("src", "href") and value]
        if tag == "script" and "src" not in attrs:
            # A JSON data block (ninja's Swagger settings) is not run, so CSP allows it.
            self.inline_scripts += attrs.get("type") != "application/json"


def _page(client) -> _Page:
    parser = _Page()
    parser.feed(client.get("/api/docs/").content.decode())
    return parser


@pytest.fixture
def static_client(settings, tmp_path):
    """A client of a server whose static files were collected, as `make run` does."""
    settings.STATIC_ROOT = tmp_path / "static"
    call_command("collectstatic", "--noinput", verbosity=0)
    return Client()  # its middleware (WhiteNoise reads STATIC_ROOT) loads on first request


def test_docs_page_is_html_with_a_strict_policy(client):
    response = client.get("/api/docs/")

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert _page(client).inline_scripts == 0
    settings_block = re.search(
        r'<script type="application/json" id="swagger-settings">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    swagger = json.loads(settings_block.group(1))
    assert swagger["url"] == "/api/openapi.json"
    assert swagger["validatorUrl"] is None  # else Swagger UI calls validator.swagger.io
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "default-src 'none'" in policy


def test_docs_page_references_only_ninjas_static_files_and_each_is_served(static_client):
    urls = _page(static_client).urls

    assert len(urls) >= 4  # favicons, css, bundle, init
    for url in urls:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc, url  # no http(s)://, no //host
        assert url.startswith("/static/ninja/"), url
    assert {"swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-init.js"} <= {
        url.rsplit("/", 1)[1] for url in urls
    }
    for url in urls:
        response = static_client.get(url)
        assert response.status_code == HTTPStatus.OK, url
        assert b"".join(response.streaming_content), url


def test_init_script_loads_the_spec_from_the_page_and_nothing_else(static_client):
    init = next(url for url in _page(static_client).urls if url.endswith("swagger-ui-init.js"))
    script = b"".join(static_client.get(init).streaming_content).decode()

    assert 'getElementById("swagger-settings")' in script
    assert not re.search(r"https?://", script)


def test_openapi_json_is_the_committed_spec(client):
    response = client.get("/api/openapi.json")

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == SPEC


@pytest.mark.parametrize("path", ["/api/docs/", "/api/openapi.json"])
def test_wrong_method_is_json_405(client, path):
    response = client.post(path)

    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert response.json()["code"] == "method_not_allowed"
    assert response["Allow"] == "GET, HEAD"


def test_unknown_static_file_under_ninja_is_json_404(static_client):
    response = static_client.get("/static/ninja/nope.js")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["code"] == "not_found"


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
    assert not missing, f"paths of docs/openapi.json not rendered on /api/docs/: {missing}"
    assert SPEC["info"]["title"] in dom
    assert 'class="btn authorize' in dom  # the spec's bearerAuth gives an Authorize button
    blocked = [line for line in log.splitlines() if "Content Security Policy" in line]
    assert not blocked, "\n".join(blocked)
