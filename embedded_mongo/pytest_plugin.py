"""Pytest plugin: a fresh in-memory embedded MongoDB for the session when MONGODB_URI is unset."""

import os

import pytest

from embedded_mongo.launcher import EmbeddedMongo

_server: EmbeddedMongo | None = None


@pytest.hookimpl(wrapper=True)
def pytest_load_initial_conftests(early_config, parser, args):
    """Start the server before pytest-django imports the settings (they read MONGODB_URI)."""
    global _server
    if not os.environ.get("MONGODB_URI") and _server is None:
        # EmbeddedMongo registers its own atexit stop as a backstop.
        _server = EmbeddedMongo()
        os.environ["MONGODB_URI"] = _server.start()
        os.environ["MONGODB_EMBEDDED"] = "1"
    return (yield)


def pytest_unconfigure(config):
    """Stop the server started above (no-op when MONGODB_URI was given)."""
    global _server
    if _server is not None:
        _server.stop()
        _server = None
        os.environ.pop("MONGODB_URI", None)
        os.environ.pop("MONGODB_EMBEDDED", None)
