"""Fixtures of the config tests."""

import pytest
from django.core.cache import caches


@pytest.fixture
def cache():
    """The limits' MongoDB cache (core/cache.py), emptied before and after."""
    store = caches["limits"]
    store.clear()
    yield store
    store.clear()
