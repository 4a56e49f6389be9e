"""Test settings: the production settings with a few speed and isolation knobs."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-secret-key-not-for-production-0123456789")

from config.settings import *  # noqa: E402,F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DATABASES["default"]["NAME"] = "mentor_match_test"  # noqa: F405
# Keep test output readable: request errors are asserted, not logged.
LOGGING["root"]["level"] = "ERROR"  # noqa: F405
LOGGING["loggers"]["core.requests"]["level"] = "WARNING"  # noqa: F405
# No collected static files in tests (WhiteNoise would warn on every client about a missing
# var/static/); test_serving.py collects into a temporary STATIC_ROOT of its own.
STATIC_ROOT = None
