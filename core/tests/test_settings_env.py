import pytest
from django.core.exceptions import ImproperlyConfigured

from config.settings import env_bool, env_int, env_list


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", True), ("TRUE", True), ("off", False), ("", False)]
)
def test_env_bool_reads_clear_values(monkeypatch, raw, expected):
    monkeypatch.setenv("X_FLAG", raw)

    assert env_bool("X_FLAG", not expected) is expected


def test_env_bool_rejects_ambiguous_values(monkeypatch):
    monkeypatch.setenv("X_FLAG", "maybe")

    with pytest.raises(ImproperlyConfigured, match="X_FLAG"):
        env_bool("X_FLAG", False)


def test_env_int_defaults_and_validates(monkeypatch):
    monkeypatch.delenv("X_NUM", raising=False)
    assert env_int("X_NUM", 2) == 2
    monkeypatch.setenv("X_NUM", "7")
    assert env_int("X_NUM", 2) == 7
    monkeypatch.setenv("X_NUM", "two")
    with pytest.raises(ImproperlyConfigured, match="integer"):
        env_int("X_NUM", 2)
    monkeypatch.setenv("X_NUM", "0")
    with pytest.raises(ImproperlyConfigured, match="at least 1"):
        env_int("X_NUM", 2, minimum=1)


def test_env_list_splits_on_commas(monkeypatch):
    monkeypatch.setenv("X_HOSTS", "a.edu, b.edu,,")

    assert env_list("X_HOSTS", []) == ["a.edu", "b.edu"]


def test_settings_refuse_to_start_without_secret_unless_debug(monkeypatch):
    import importlib

    import config.settings as settings_module

    monkeypatch.delenv("DJANGO_SECRET_KEY", raising=False)
    monkeypatch.setenv("DJANGO_DEBUG", "false")
    try:
        with pytest.raises(ImproperlyConfigured, match="DJANGO_SECRET_KEY"):
            importlib.reload(settings_module)
        monkeypatch.setenv("DJANGO_DEBUG", "true")
        assert importlib.reload(settings_module).DEBUG is True
    finally:
        monkeypatch.undo()
        importlib.reload(settings_module)
