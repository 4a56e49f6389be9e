"""Settings, all read from environment variables (see .env.example)."""

import ipaddress
import os
import re
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {raw!r}.")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}.")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
# Or a file holding it: `make run` / `make dev` generate var/secret_key on first start
# (core/secret_key.py) and point here, so no process signs with the public key below.
SECRET_KEY_FILE = env_str("DJANGO_SECRET_KEY_FILE", "")
if not SECRET_KEY and SECRET_KEY_FILE:
    try:
        SECRET_KEY = Path(SECRET_KEY_FILE).read_text().strip()
    except OSError as error:
        raise ImproperlyConfigured(f"DJANGO_SECRET_KEY_FILE: cannot read it: {error}") from None
    if not SECRET_KEY:
        raise ImproperlyConfigured(f"DJANGO_SECRET_KEY_FILE {SECRET_KEY_FILE} is empty.")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY (or DJANGO_SECRET_KEY_FILE) is required unless DJANGO_DEBUG is on."
        )
    SECRET_KEY = "insecure-local-development-key-do-not-use-in-production"
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])

# Domain settings.
MAX_MENTEES = env_int("MAX_MENTEES", 2, minimum=1)
ACCOUNT_DELETION_GRACE_DAYS = env_int("ACCOUNT_DELETION_GRACE_DAYS", 30)
INVITATION_EXPIRY_DAYS = env_int("INVITATION_EXPIRY_DAYS", 14, minimum=1)
ACCESS_TOKEN_LIFETIME_MINUTES = env_int("ACCESS_TOKEN_LIFETIME_MINUTES", 15, minimum=1)
REFRESH_TOKEN_LIFETIME_DAYS = env_int("REFRESH_TOKEN_LIFETIME_DAYS", 7, minimum=1)

INSTALLED_APPS = [
    "core.apps.MongoAdminConfig",
    "core.apps.MongoAuthConfig",
    "core.apps.MongoContentTypesConfig",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # The API plumbing (core/api.py: django-ninja), below every app; ninja for Swagger UI's
    # packaged templates and static files.
    "ninja",
    "core.apps.CoreConfig",
    "users",
    "matching",
    "chat",
    "roster",
    "notifications",
]

MIDDLEWARE = [
    # First, so it times everything and logs the status the client gets (core/request_log.py).
    "core.request_log.RequestLogMiddleware",
    # Second, right inside the request log: its process_exception renders the views' errors,
    # and its __call__ turns what the middlewares below it let through (a database failure in
    # the admin's session or auth middleware, a bug, Django's HTML pages) into JSON.
    "core.errors.ErrorMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files (the admin's CSS and JS) from STATIC_ROOT, DEBUG on or off (docs/operations.md
    # "Serving"); right after SecurityMiddleware, as WhiteNoise's documentation asks.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
# An API client POSTing to a path without its slash gets a JSON 404, not a redirect
# that would drop its body.
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

# Database timeouts: when the database dies, requests answer a JSON 503 database_unavailable
# within a few seconds instead of hanging (docs/operations.md, "When the database dies").
# Keyword options, so they override the same options in MONGODB_URI.
# - MONGODB_TIMEOUT_MS (pymongo's timeoutMS, "client-side operation timeout"): the whole of
#   one operation (a query, each later batch of its cursor, an insert, one bulk_write call):
#   server selection, waiting for a pooled connection, connecting, round trips, retries. It bounds
#   each operation, not a request or a management command (see operations.md for long
#   commands). 0 turns it off, leaving the three below.
# - server selection: waiting for a reachable server, only when MONGODB_TIMEOUT_MS is 0;
# - connect: TCP connect plus handshake of a new connection, and the monitor's heartbeats;
# - socket: one round trip, only when MONGODB_TIMEOUT_MS is 0 (0 = no limit).
MONGODB_TIMEOUT_MS = env_int("MONGODB_TIMEOUT_MS", 5000)
MONGODB_SERVER_SELECTION_TIMEOUT_MS = env_int(
    "MONGODB_SERVER_SELECTION_TIMEOUT_MS", 3000, minimum=1
)
MONGODB_CONNECT_TIMEOUT_MS = env_int("MONGODB_CONNECT_TIMEOUT_MS", 3000, minimum=1)
MONGODB_SOCKET_TIMEOUT_MS = env_int("MONGODB_SOCKET_TIMEOUT_MS", 5000)
# /health/ready/ (and /health/): the whole ping, server selection included.
HEALTH_DB_TIMEOUT_MS = env_int("HEALTH_DB_TIMEOUT_MS", 1000, minimum=1)
# Management commands (manage.py sets MENTOR_MATCH_PROCESS=command for every command but
# runserver; `python -m bench` too) legitimately run single operations longer than a
# request's bound: a bulk_write of 1,000 score upserts or deleting a large collection on a
# loaded machine. They keep the fast failure on a dead database (server selection as
# above) but get no per-operation timeout; one round trip may take up to
# MONGODB_COMMAND_SOCKET_TIMEOUT_MS (a black-holed database still ends the command). The
# connect timeout is also the monitor's heartbeat timeout: a heartbeat that times out
# cancels the operations in flight, and the embedded server answers no heartbeat while it
# executes one long operation (one event loop), so commands give heartbeats as long.
PROCESS_ROLE = env_str("MENTOR_MATCH_PROCESS", "server")
if PROCESS_ROLE not in ("server", "command"):
    raise ImproperlyConfigured(
        f"MENTOR_MATCH_PROCESS must be server or command, got {PROCESS_ROLE!r}."
    )
MONGODB_COMMAND_SOCKET_TIMEOUT_MS = env_int("MONGODB_COMMAND_SOCKET_TIMEOUT_MS", 600000, minimum=1)
if PROCESS_ROLE == "command":
    MONGODB_TIMEOUT_MS = 0
    MONGODB_SOCKET_TIMEOUT_MS = MONGODB_COMMAND_SOCKET_TIMEOUT_MS
    MONGODB_CONNECT_TIMEOUT_MS = MONGODB_COMMAND_SOCKET_TIMEOUT_MS

DATABASES = {
    "default": {
        "ENGINE": "django_mongodb_backend",
        # The whole connection string (hosts, replica set, credentials, TLS) goes in HOST.
        "HOST": env_str("MONGODB_URI", "mongodb://127.0.0.1:27017/"),
        "NAME": env_str("MONGODB_NAME", "mentor_match"),
        "OPTIONS": {
            "serverSelectionTimeoutMS": MONGODB_SERVER_SELECTION_TIMEOUT_MS,
            "connectTimeoutMS": MONGODB_CONNECT_TIMEOUT_MS,
            "socketTimeoutMS": MONGODB_SOCKET_TIMEOUT_MS,
            # Left out at 0: pymongo reads timeoutMS=0 as "no limit", not "off".
            **({"timeoutMS": MONGODB_TIMEOUT_MS} if MONGODB_TIMEOUT_MS else {}),
        },
    },
}
DEFAULT_AUTO_FIELD = "django_mongodb_backend.fields.ObjectIdAutoField"
MIGRATION_MODULES = {
    "admin": "mongo_migrations.admin",
    "auth": "mongo_migrations.auth",
    "contenttypes": "mongo_migrations.contenttypes",
}

AUTH_USER_MODEL = "users.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "users.validators.MaximumLengthValidator", "OPTIONS": {"max_length": 128}},
]

# CSRF guards only the admin's session-cookie forms (the API takes bearer tokens and its
# views are csrf_exempt); a failure there still answers JSON.
CSRF_FAILURE_VIEW = "config.urls.csrf_failure"

# Request bodies over 1 MiB are answered with 413.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # One line per request (core/request_log.py); REQUEST_LOG_LEVEL=WARNING keeps only 5xx.
    "loggers": {"core.requests": {"level": env_str("REQUEST_LOG_LEVEL", "INFO")}},
}

# Match repair and invitation guards (matching/services/intents.py, invitations.py).
# A match-change intent older than this was left by a crashed process and may be repaired;
# it must exceed the longest a live select/unmatch can take, or a slow request is repaired
# under its feet.
MATCH_INTENT_LEASE_SECONDS = env_int("MATCH_INTENT_LEASE_SECONDS", 30, minimum=1)
MAX_PENDING_INVITATIONS_PER_MENTEE = env_int("MAX_PENDING_INVITATIONS_PER_MENTEE", 5, minimum=1)
# Test-only fault point: select sleeps this long between claiming the mentee and the seat,
# so a test can SIGKILL the server between the two steps. 0 (off) in any real deployment.
MATCH_FAULT_PAUSE_SECONDS = env_int("MATCH_FAULT_PAUSE_SECONDS", 0)

# --- Limits (docs/operations.md "Limits"): core/ratelimit.py over django-ratelimit ---
# Counters live in MongoDB (core/cache.py) so that every worker process shares them.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "limits": {"BACKEND": "core.cache.MongoCache", "LOCATION": "rate_limits"},
}
RATELIMIT_USE_CACHE = "limits"
RATELIMIT_CACHE_PREFIX = "rl:"


def env_rate(name: str, default: str) -> str | None:
    """A rate such as "10/15m" (count / period in s, m, h or d, e.g. 15m); "off" disables."""
    raw = os.environ.get(name, "").strip().lower()
    if raw == "":
        return default
    if raw == "off":
        return None
    if not re.fullmatch(r"[1-9][0-9]*/([1-9][0-9]*)?[smhd]", raw):
        raise ImproperlyConfigured(f'{name} must be a rate like "10/15m" or "off", got {raw!r}.')
    return raw


# Failed sign-ins: reaching the rate locks the account (or the address) for the period.
LOGIN_FAILURES_PER_ACCOUNT = env_rate("LOGIN_FAILURES_PER_ACCOUNT", "10/15m")
LOGIN_FAILURES_PER_ADDRESS = env_rate("LOGIN_FAILURES_PER_ADDRESS", "100/15m")
REGISTRATIONS_PER_ADDRESS = env_rate("REGISTRATIONS_PER_ADDRESS", "20/h")
INVITATION_CREATES_PER_USER = env_rate("INVITATION_CREATES_PER_USER", "10/h")
CHAT_SENDS_PER_USER = env_rate("CHAT_SENDS_PER_USER", "30/m")
# Proxies (addresses or networks) whose X-Forwarded-For is believed. Empty: the socket's
# peer is the client, so behind a proxy every client shares the proxy's address.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", [])
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"TRUSTED_PROXIES must list IP addresses or networks, got {_proxy!r}."
        ) from None

# --- Serving (docs/operations.md "Serving"): gunicorn, as `make run` starts it ---
# core/gunicorn.py reads these. gthread workers: WEB_WORKERS processes (one per core of the
# 2-core target; each its own GIL) × WEB_THREADS threads, so requests waiting on the database
# or hashing a password do not queue behind one another (the load bench drives 20 clients).
WEB_WORKERS = env_int("WEB_WORKERS", 2, minimum=1)
WEB_THREADS = env_int("WEB_THREADS", 20, minimum=1)
# A worker silent this long is killed and replaced; on SIGTERM, requests in flight get this
# long to finish (below the 30 s the embedded_mongo launcher waits before a SIGKILL).
WEB_TIMEOUT_SECONDS = env_int("WEB_TIMEOUT_SECONDS", 30, minimum=1)
WEB_GRACEFUL_TIMEOUT_SECONDS = env_int("WEB_GRACEFUL_TIMEOUT_SECONDS", 20, minimum=1)

# --- Passwords (docs/operations.md "Passwords") ---
# Argon2id at OWASP's parameters (users/hashers.py) hashes every new or changed password.
# The PBKDF2 hashers stay listed so that existing hashes still verify; Django rehashes a
# PBKDF2 (or differently tuned argon2) hash with the first hasher at its next successful
# login. Only one hasher per algorithm name: Django's Argon2PasswordHasher would shadow ours.
PASSWORD_HASHERS = [
    "users.hashers.OwaspArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
]
# At most this many password hashes or checks run at once in one process
# (users/password_gate.py); a request that finds them all taken waits up to
# PASSWORD_CHECK_WAIT_MS, then gets 503 server_busy. A fixed 4, not the core count: a host
# runs at most workers × 4 hashes (19 MiB each) whatever its size. Measured on the 2-core
# machine (docs/operations.md "Passwords"): 1 slot refused logins at the load bench's 20
# clients; 2 slots kept a no-database probe's p99 at 19 ms under a 30-client login flood
# but queued the bench's logins (about 100 requests/s, p99 640-700 ms); 4 slots: 109-116
# requests/s, p99 573-609 ms, and the probe's p99 under the flood 40 ms; 8 were worse again.
PASSWORD_CHECKS_PER_PROCESS = env_int("PASSWORD_CHECKS_PER_PROCESS", 4, minimum=1)
PASSWORD_CHECK_WAIT_MS = env_int("PASSWORD_CHECK_WAIT_MS", 2000)

# --- Email, outbox and account mails (docs/operations.md "Email"; notifications/) ---
# Mails go through Django's mail framework. Without EMAIL_HOST the console backend prints
# them on the server's output (`make run`); with it, SMTP. EMAIL_BACKEND, when set, wins.
EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL are exclusive; set one.")
# Seconds per SMTP socket operation: only the sender waits on it, never a request.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1)
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "no-reply@mentor-match.test")
# The sender (`manage.py send_emails`, started by `make run`): a try that fails is retried
# after OUTBOX_RETRY_BASE_SECONDS, doubling up to OUTBOX_RETRY_MAX_SECONDS, at most
# OUTBOX_MAX_ATTEMPTS tries, then the mail is failed. A claimed mail whose sender has not
# finished it within OUTBOX_LEASE_SECONDS is marked unknown, never resent by itself: the
# lease must exceed the longest one SMTP send can take (several EMAIL_TIMEOUTs).
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 6, minimum=1)
OUTBOX_RETRY_BASE_SECONDS = env_int("OUTBOX_RETRY_BASE_SECONDS", 30, minimum=1)
OUTBOX_RETRY_MAX_SECONDS = env_int("OUTBOX_RETRY_MAX_SECONDS", 3600, minimum=1)
OUTBOX_LEASE_SECONDS = env_int("OUTBOX_LEASE_SECONDS", 300, minimum=1)
OUTBOX_POLL_SECONDS = env_int("OUTBOX_POLL_SECONDS", 5, minimum=1)
OUTBOX_BATCH_SIZE = env_int("OUTBOX_BATCH_SIZE", 50, minimum=1)
# How often the sender runs the scheduled mails (the daily chat digest check).
OUTBOX_PERIODIC_SECONDS = env_int("OUTBOX_PERIODIC_SECONDS", 600, minimum=1)
# Links in account mails: FRONTEND_BASE_URL/reset-password/<token>, .../verify-email/<token>.
FRONTEND_BASE_URL = env_str("FRONTEND_BASE_URL", "http://localhost:3000").rstrip("/")
# Seconds a password-reset (and set-password) link stays valid; Django's own setting.
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 3 * 24 * 3600, minimum=60)
# Reset and verification-mail requests, per target address and per client address.
PASSWORD_RESETS_PER_ACCOUNT = env_rate("PASSWORD_RESETS_PER_ACCOUNT", "5/h")
PASSWORD_RESETS_PER_ADDRESS = env_rate("PASSWORD_RESETS_PER_ADDRESS", "20/h")
# On: an account must confirm its address (mailed link) before it can sign in.
EMAIL_VERIFICATION_REQUIRED = env_bool("EMAIL_VERIFICATION_REQUIRED", False)

# --- Matching rounds and preferences (docs/operations.md "Matching rounds") ---
# How many mentors a mentee may shortlist (GET/PUT /matching/preferences/).
MAX_PREFERENCES = env_int("MAX_PREFERENCES", 5, minimum=1)
# A round left "publishing" this long was abandoned by a crashed process: the next publish
# of it (or `run_round --resume`) takes it over and completes it. Must exceed the longest
# a live publish takes (about one select or invitation per assignment).
ROUND_PUBLISH_LEASE_SECONDS = env_int("ROUND_PUBLISH_LEASE_SECONDS", 300, minimum=0)
