"""Health checks (docs/operations.md "Health"): liveness and readiness, no token needed."""

import pymongo
from django.conf import settings
from django.db import connection
from ninja import Router

from core.api import no_database
from core.schemas import Status

router = Router(auth=None, tags=["health"])


@router.get("/live/", response=Status, url_name="health-live")
@no_database
def health_live(request):
    """Liveness: the process answers HTTP. Never touches the database, so a dead database
    does not make an orchestrator restart healthy app processes."""
    return {"status": "ok"}


@router.get("/ready/", response=Status, url_name="health-ready")
def health_ready(request):
    """Readiness (also /health/): the database answers a ping within HEALTH_DB_TIMEOUT_MS,
    else 503 database_unavailable (rendered by core.errors from the pymongo error)."""
    with pymongo.timeout(settings.HEALTH_DB_TIMEOUT_MS / 1000):
        connection.ensure_connection()
        connection.connection.admin.command("ping")
    return {"status": "ok"}


@router.get("/", response=Status, url_name="health")
def health(request):
    """Readiness, at its historical path."""
    return health_ready(request)
