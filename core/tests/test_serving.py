"""Serving as `make run` does: static files with DEBUG off, the secret key file, gunicorn's
configuration. (/api/docs/ and its static files with DEBUG off: test_api_docs.py.)"""

import importlib
import os
import re
import runpy
import stat
import subprocess
import sys
from http import HTTPStatus
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.test import Client

import config.settings as settings_module
from core import secret_key

PUBLIC_DEVELOPMENT_KEY = "insecure-local-development-key-do-not-use-in-production"


def test_admin_pages_get_their_css_and_js_from_whitenoise_with_debug_off(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "static"
    call_command("collectstatic", "--noinput", verbosity=0)  # as `make run` does
    client = Client()  # its middleware (WhiteNoise reads STATIC_ROOT) loads on first request

    page = client.get("/admin/login/")

    assert django_settings.DEBUG is False
    assert page.status_code == HTTPStatus.OK
    assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', page.content.decode())
    assert any(url.endswith(".css") for url in assets), assets
    assert any(url.endswith(".js") for url in assets), assets
    types = {".css": "text/css", ".js": "text/javascript"}
    for url in assets:
        response = client.get(url)
        assert response.status_code == HTTPStatus.OK, url
        assert response["Content-Type"].startswith(types[Path(url).suffix]), url
        body = b"".join(response.streaming_content)
        assert body == (settings.STATIC_ROOT / url.removeprefix("/static/")).read_bytes(), url


def test_unknown_static_file_is_a_json_404(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "static"
    call_command("collectstatic", "--noinput", verbosity=0)

    response = Client().get("/static/admin/css/no-such-file.css")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["code"] == "not_found"


def test_secret_key_file_is_created_private_once_and_then_kept(tmp_path):
    path = tmp_path / "var" / "secret_key"

    assert secret_key.ensure_secret_key(path) is True
    first = path.read_text()
    assert secret_key.ensure_secret_key(path) is False

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first.strip()) >= 50
    assert path.read_text() == first
    assert sorted(p.name for p in path.parent.iterdir()) == ["secret_key"]  # no temporary left


def test_secret_key_file_is_never_half_written(tmp_path, monkeypatch):
    path = tmp_path / "secret_key"

    def crash(*args):
        raise OSError("disk full")

    monkeypatch.setattr(secret_key.os, "link", crash)  # fails after the key was written aside
    with pytest.raises(OSError, match="disk full"):
        secret_key.ensure_secret_key(path)

    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()
    assert secret_key.ensure_secret_key(path) is True


def _reloaded_settings(monkeypatch, **env):
    """The settings module as a process with this environment would see it."""
    for name in ("DJANGO_SECRET_KEY", "DJANGO_SECRET_KEY_FILE", "DJANGO_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return importlib.reload(settings_module)


@pytest.fixture
def restore_settings_module(monkeypatch):
    yield
    monkeypatch.undo()
    importlib.reload(settings_module)


def test_settings_read_the_key_file_and_an_explicit_key_wins(
    tmp_path, monkeypatch, restore_settings_module
):
    path = tmp_path / "secret_key"
    secret_key.ensure_secret_key(path)
    key = path.read_text().strip()

    production = _reloaded_settings(monkeypatch, DJANGO_DEBUG="0", DJANGO_SECRET_KEY_FILE=str(path))
    assert (production.DEBUG, production.SECRET_KEY) == (False, key)
    development = _reloaded_settings(
        monkeypatch, DJANGO_DEBUG="1", DJANGO_SECRET_KEY_FILE=str(path)
    )
    assert (development.DEBUG, development.SECRET_KEY) == (True, key)  # not the public key
    explicit = _reloaded_settings(
        monkeypatch, DJANGO_SECRET_KEY="from-the-environment", DJANGO_SECRET_KEY_FILE=str(path)
    )
    assert explicit.SECRET_KEY == "from-the-environment"
    bare_debug = _reloaded_settings(monkeypatch, DJANGO_DEBUG="1")
    assert bare_debug.SECRET_KEY == PUBLIC_DEVELOPMENT_KEY  # only without any key configured


@pytest.mark.parametrize("content", [None, "\n"])
def test_settings_refuse_a_missing_or_empty_key_file(
    tmp_path, monkeypatch, restore_settings_module, content
):
    path = tmp_path / "secret_key"
    if content is not None:
        path.write_text(content)

    with pytest.raises(ImproperlyConfigured, match="DJANGO_SECRET_KEY_FILE"):
        _reloaded_settings(monkeypatch, DJANGO_DEBUG="1", DJANGO_SECRET_KEY_FILE=str(path))


def test_gunicorn_config_takes_workers_and_threads_from_the_settings(
    monkeypatch, restore_settings_module
):
    _reloaded_settings(
        monkeypatch,
        DJANGO_SECRET_KEY="k",
        WEB_WORKERS="3",
        WEB_THREADS="7",
        WEB_TIMEOUT_SECONDS="9",
    )
    config_file = Path(django_settings.BASE_DIR) / "core" / "gunicorn.py"

    config = runpy.run_path(str(config_file))

    assert (config["workers"], config["threads"], config["timeout"]) == (3, 7, 9)
    assert config["worker_class"] == "gthread"
    assert config["wsgi_app"] == "config.wsgi:application"
    assert config["accesslog"] is None  # the app's request log has one line per request


def _as_a_worker(script: str, *args: str, **env: str) -> str:
    """The stdout of `script` run in a fresh Python from the repository's root, as a
    gunicorn worker runs (DEBUG off, a secret key; `env` added)."""
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=django_settings.BASE_DIR,
        env={**os.environ, "DJANGO_SECRET_KEY": "k" * 50, "DJANGO_DEBUG": "0", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def test_gunicorn_workers_freeze_the_loaded_app_out_of_the_garbage_collector():
    import gunicorn.config

    # A name gunicorn does not know would be ignored without a word.
    assert "post_worker_init" in {setting.name for setting in gunicorn.config.KNOWN_SETTINGS}
    # In a process of its own, as a worker: the app loaded, then the hook.
    script = "\n".join(
        [
            "import gc, runpy",
            "from config.wsgi import application",
            "config = runpy.run_path('core/gunicorn.py')",
            "assert gc.get_freeze_count() == 0",
            "config['post_worker_init'](None)",
            "print(gc.get_freeze_count(), gc.get_threshold() == config['GC_THRESHOLDS'])",
        ]
    )
    frozen, thresholds_set = _as_a_worker(script).split()
    # The app's modules and objects are frozen (about 120,000), not a handful.
    assert int(frozen) > 50_000
    assert thresholds_set == "True"


# A password check in a new thread of a fresh process, as in a gunicorn worker (production
# settings: Argon2id, 19 MiB), after the worker hook's warm-up or without it; prints the
# page faults the check took.
FAULTS_OF_A_CHECK = """
import resource, runpy, sys, threading
import django
django.setup()
from django.contrib.auth.hashers import get_hasher
if sys.argv[1] == "warmed":
    config = runpy.run_path("core/gunicorn.py")
    assert config["warm_password_memory"](4) == 4
faults = []
def check():
    before = resource.getrusage(resource.RUSAGE_THREAD).ru_minflt
    get_hasher().encode("a password", "some-salt-1234")
    faults.append(resource.getrusage(resource.RUSAGE_THREAD).ru_minflt - before)
thread = threading.Thread(target=check)
thread.start()
thread.join()
print(faults[0])
"""


def _faults_of_a_check(mode: str) -> int:
    return int(_as_a_worker(FAULTS_OF_A_CHECK, mode, DJANGO_SETTINGS_MODULE="config.settings"))


def test_gunicorn_workers_map_the_memory_of_password_checks_before_serving():
    # 19 MiB is 4,864 pages of 4 KiB: unwarmed, a check first-touches all of them...
    assert _faults_of_a_check("cold") > 4_000
    # ...after the warm-up each worker runs in post_worker_init, a new thread's check
    # touches memory already mapped.
    assert _faults_of_a_check("warmed") < 500
