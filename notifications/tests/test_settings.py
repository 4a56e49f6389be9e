import importlib

import pytest
from django.core.exceptions import ImproperlyConfigured

import config.settings as settings_module

SMTP = "django.core.mail.backends.smtp.EmailBackend"
CONSOLE = "django.core.mail.backends.console.EmailBackend"


@pytest.fixture
def reload_settings(monkeypatch):
    for name in ("EMAIL_HOST", "EMAIL_BACKEND", "EMAIL_USE_TLS", "EMAIL_USE_SSL", "EMAIL_PORT"):
        monkeypatch.delenv(name, raising=False)
    yield lambda: importlib.reload(settings_module)
    monkeypatch.undo()
    importlib.reload(settings_module)


def test_console_backend_without_a_mail_host(reload_settings):
    assert reload_settings().EMAIL_BACKEND == CONSOLE


def test_smtp_from_the_environment(reload_settings, monkeypatch):
    monkeypatch.setenv("EMAIL_HOST", "smtp.example.edu")
    monkeypatch.setenv("EMAIL_PORT", "2525")
    monkeypatch.setenv("EMAIL_USE_TLS", "false")
    monkeypatch.setenv("EMAIL_USE_SSL", "true")

    loaded = reload_settings()

    assert (loaded.EMAIL_BACKEND, loaded.EMAIL_HOST, loaded.EMAIL_PORT) == (
        SMTP,
        "smtp.example.edu",
        2525,
    )
    assert (loaded.EMAIL_USE_TLS, loaded.EMAIL_USE_SSL) == (False, True)


def test_tls_and_ssl_together_are_refused(reload_settings, monkeypatch):
    monkeypatch.setenv("EMAIL_USE_TLS", "true")
    monkeypatch.setenv("EMAIL_USE_SSL", "true")

    with pytest.raises(ImproperlyConfigured, match="EMAIL_USE_TLS"):
        reload_settings()
