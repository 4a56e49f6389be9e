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
# The live server (pytest-django's live_server) wraps the app in Django's media-files
# handler, which takes every path under MEDIA_URL; unset, that is every path, so each request
# was first looked up as a file under the working directory, and a path segment longer than
# the file system allows (a fuzzed id) was a 500. No media is served here.
MEDIA_URL = "/media/"
