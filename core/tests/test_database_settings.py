"""The database timeouts come from the environment and reach pymongo as keyword options."""

import importlib
import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

import config.settings as settings_module

TIMEOUT_VARS = (
    "MONGODB_TIMEOUT_MS",
    "MONGODB_SERVER_SELECTION_TIMEOUT_MS",
    "MONGODB_CONNECT_TIMEOUT_MS",
    "MONGODB_SOCKET_TIMEOUT_MS",
    "HEALTH_DB_TIMEOUT_MS",
    "MENTOR_MATCH_PROCESS",
    "MONGODB_COMMAND_SOCKET_TIMEOUT_MS",
)


@pytest.fixture
def reload_settings(monkeypatch):
    for name in TIMEOUT_VARS:
        monkeypatch.delenv(name, raising=False)
    yield lambda: importlib.reload(settings_module)
    monkeypatch.undo()
    importlib.reload(settings_module)


def test_defaults_bound_every_wait(reload_settings):
    options = reload_settings().DATABASES["default"]["OPTIONS"]

    assert options == {
        "timeoutMS": 5000,
        "serverSelectionTimeoutMS": 3000,
        "connectTimeoutMS": 3000,
        "socketTimeoutMS": 5000,
    }
    assert settings_module.HEALTH_DB_TIMEOUT_MS == 1000


def test_the_environment_sets_them_and_zero_turns_the_operation_timeout_off(
    monkeypatch, reload_settings
):
    monkeypatch.setenv("MONGODB_TIMEOUT_MS", "0")
    monkeypatch.setenv("MONGODB_SERVER_SELECTION_TIMEOUT_MS", "1500")
    monkeypatch.setenv("MONGODB_SOCKET_TIMEOUT_MS", "0")

    options = reload_settings().DATABASES["default"]["OPTIONS"]

    # timeoutMS=0 would mean "no limit" to pymongo; left out, the three classic ones rule.
    assert "timeoutMS" not in options
    assert options["serverSelectionTimeoutMS"] == 1500
    assert options["socketTimeoutMS"] == 0


def test_management_commands_fail_fast_on_a_dead_database_but_allow_long_operations(
    monkeypatch, reload_settings
):
    monkeypatch.setenv("MENTOR_MATCH_PROCESS", "command")

    options = reload_settings().DATABASES["default"]["OPTIONS"]

    assert options == {
        "serverSelectionTimeoutMS": 3000,
        "connectTimeoutMS": 600000,
        "socketTimeoutMS": 600000,
    }


def test_manage_py_runs_commands_in_the_command_role_and_the_server_in_the_server_role():
    script = "from django.conf import settings; print(settings.PROCESS_ROLE)"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.test_settings"}
    env.pop("MENTOR_MATCH_PROCESS", None)
    shell = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        capture_output=True,
        text=True,
        env=env,
        cwd=settings_module.BASE_DIR,
        check=True,
    )
    assert shell.stdout.splitlines()[-1] == "command"
    assert settings_module.PROCESS_ROLE == "server"  # pytest, like gunicorn: requests


@pytest.mark.parametrize(
    "name", ["MONGODB_CONNECT_TIMEOUT_MS", "HEALTH_DB_TIMEOUT_MS", "MENTOR_MATCH_PROCESS"]
)
def test_a_zero_or_malformed_timeout_stops_start_up(monkeypatch, reload_settings, name):
    monkeypatch.setenv(name, "0")
    with pytest.raises(ImproperlyConfigured, match=name):
        reload_settings()
    monkeypatch.setenv(name, "soon")
    with pytest.raises(ImproperlyConfigured, match=name):
        reload_settings()


@pytest.mark.django_db
def test_the_options_override_the_uri_in_the_live_client():
    """Keyword options win over the same options in MONGODB_URI (the embedded server's URI
    has carried generous ones)."""
    connection.ensure_connection()
    client_options = connection.connection.options

    assert client_options.timeout == 5.0
    assert client_options.server_selection_timeout == 3.0
    assert client_options.pool_options.connect_timeout == 3.0
    assert client_options.pool_options.socket_timeout == 5.0
