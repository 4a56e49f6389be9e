"""Two-document match changes: a transaction where the server has them, else a durable intent.

A match lives in the mentee's document (isMatched, matchedMentorEmail) and the mentor's
roster (current_mentees). On a replica set (or sharded cluster) select and unmatch change
both inside django_mongodb_backend.transaction.atomic. Without transactions (the embedded
server, a standalone mongod) each change first inserts a MatchIntent naming the operation,
mentee, mentor and time (acknowledged write), then does its steps, then deletes it. The
intent is unique per mentee, so it is also the mentee's lock: a concurrent change of the
same mentee waits for it (bounded), and the repair (matching/services/repair.py) takes it
before touching the pair. An intent older than MATCH_INTENT_LEASE_SECONDS was left by a
crashed process: whoever finds it repairs the pair first. The lease and the repair's side
of the lock are in locks.py, below both this module and repair.py.
"""

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from django.db import IntegrityError, connection
from django.utils import timezone
from django_mongodb_backend import transaction
from pymongo.errors import PyMongoError

from core.errors import AppError
from matching.errors import MatchInProgressError
from matching.models import MatchIntent
from matching.services.repair import repair_if_stale

T = TypeVar("T")
# How long a change waits for another change of the same mentee before answering 409
# match_in_progress; a live change takes milliseconds.
WAIT_SECONDS = 5.0
POLL_SECONDS = 0.02
TRANSACTION_ATTEMPTS = 5


def transactions_supported() -> bool:
    """The backend's own check (replica set or mongos); Django's flag is always False here."""
    return connection.features._supports_transactions


def session():
    """The transaction's session for raw collection calls (None outside a transaction)."""
    return connection.session


def in_transaction(fn: Callable[[], T]) -> T:
    """Run fn in a transaction, retrying on transient errors (write conflicts with a
    concurrent transaction touching the same roster or mentee)."""
    for attempt in range(TRANSACTION_ATTEMPTS):
        try:
            with transaction.atomic():
                return fn()
        except PyMongoError as error:
            if attempt + 1 == TRANSACTION_ATTEMPTS or not error.has_error_label(
                "TransientTransactionError"
            ):
                raise
    raise AssertionError("unreachable")


def acquire(
    *, op: str, mentee_email: str, mentor_email: str = "", invitation_id=None
) -> MatchIntent:
    """Insert the mentee's intent, waiting for a live one to go and repairing a stale one.
    Raises MatchInProgressError after WAIT_SECONDS."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        try:
            return MatchIntent.objects.create(
                op=op,
                mentee_email=mentee_email,
                mentor_email=mentor_email,
                invitation_id=invitation_id,
                created_at=timezone.now(),
            )
        except IntegrityError:
            pass
        if repair_if_stale(mentee_emails=[mentee_email]):
            continue
        if time.monotonic() > deadline:
            raise MatchInProgressError()
        time.sleep(POLL_SECONDS)


def release(intent: MatchIntent) -> None:
    """Delete our intent; a no-op if a repair took it over (only after the lease)."""
    MatchIntent.objects.filter(pk=intent.pk, created_at=intent.created_at).delete()


@contextmanager
def intent_held(
    *, op: str, mentee_email: str, mentor_email: str = "", invitation_id=None
) -> Iterator[MatchIntent]:
    """Hold the mentee's intent around the steps. Released when the steps finish or raise a
    domain error (the service compensated first); any other exception is a crash between
    the steps, so the intent stays for the repair."""
    intent = acquire(
        op=op, mentee_email=mentee_email, mentor_email=mentor_email, invitation_id=invitation_id
    )
    settled = False
    try:
        yield intent
        settled = True
    except AppError:
        settled = True
        raise
    finally:
        if settled:
            release(intent)
