"""The mentee's lock: a MatchIntent (unique per mentee) and its lease.

Shared by the changes that hold an intent (intents.py) and the repair that takes stale ones
over (repair.py); it sits below both, so neither imports the other for it.
"""

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError
from django.utils import timezone

from matching.models import IntentOp, MatchIntent


def lease_start(now=None):
    """Intents created before this are stale."""
    now = now or timezone.now()
    return now - timedelta(seconds=settings.MATCH_INTENT_LEASE_SECONDS)


def is_stale(intent: MatchIntent, now=None) -> bool:
    return intent.created_at <= lease_start(now)


def take_over(intent: MatchIntent, now=None) -> MatchIntent | None:
    """Claim a stale intent for a repair by restarting its lease; None if someone else did."""
    now = now or timezone.now()
    if not MatchIntent.objects.filter(pk=intent.pk, created_at=intent.created_at).update(
        created_at=now
    ):
        return None
    intent.created_at = now
    return intent


def lock_for_repair(mentee_email: str) -> MatchIntent | None:
    """The mentee's lock for a repair when no intent exists; None if a change holds it."""
    try:
        return MatchIntent.objects.create(
            op=IntentOp.REPAIR, mentee_email=mentee_email, created_at=timezone.now()
        )
    except IntegrityError:
        return None
