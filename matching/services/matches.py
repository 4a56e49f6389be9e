"""Forming and ending matches.

A match lives in two documents: the mentee's (isMatched, matchedMentorEmail) and the
mentor's roster (current_mentees). Each step is one conditional single-document update
whose matched count is checked; when the second step fails the first is compensated.
Rosters are never read-modify-written: the capacity and availability checks are part of
the update's filter. The steps run in a transaction on a replica set, else under a durable
intent that the repair rolls forward or back after a crash (services/intents.py, repair.py).
"""

import time
from functools import partial

from django.conf import settings
from django.db import connection
from django.utils import timezone
from pymongo import ReturnDocument

from matching import notify
from matching.errors import (
    AlreadyMatchedError,
    BadConfirmationError,
    BlacklistedError,
    MentorFullError,
    MentorUnavailableError,
    NotAMenteeError,
    NotAMentorError,
    NotYourMatchError,
    UserNotFoundError,
)
from matching.models import IntentOp
from matching.services.intents import in_transaction, intent_held, session, transactions_supported
from matching.services.repair import repair_if_stale
from matching.signals import pair_unmatched
from users.models import Role, User
from users.selectors import get_user_by_email

UNMATCH_CONFIRMATION = "I would like to unmatch"
# The seat claim's guard that the mentor takes mentees (the same rule as selectors.OPEN_MENTORS).
AVAILABLE_MENTOR = {"is_seeking_mentee": True, "is_active": True, "deletion_requested_at": None}


def _users():
    return connection.get_collection(User._meta.db_table)


def require_confirmation(confirmation: str) -> None:
    """Raises BadConfirmationError unless the phrase matches (surrounding spaces ignored)."""
    if confirmation.strip() != UNMATCH_CONFIRMATION:
        raise BadConfirmationError()


def _counterpart(email: str, role: str) -> User:
    user = get_user_by_email(email)
    if user is None:
        raise UserNotFoundError()
    if user.role != role:
        raise NotAMentorError() if role == Role.MENTOR else NotAMenteeError()
    return user


def _mentor_available(mentor: User) -> bool:
    return mentor.is_seeking_mentee and mentor.is_active and mentor.deletion_requested_at is None


def require_available(mentor: User) -> None:
    """Raises MentorUnavailableError unless the mentor is taking mentees."""
    if not _mentor_available(mentor):
        raise MentorUnavailableError()


def _now():
    # Milliseconds, as MongoDB stores them, so a re-read equals what was written.
    now = timezone.now()
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _claim_mentee(*, mentee: User, mentor_email: str) -> bool:
    """Step 1 of select: mark the mentee matched, only while unmatched and not blacklisted."""
    result = _users().update_one(
        {"_id": mentee.pk, "isMatched": False, "blacklisted_mentors": {"$ne": mentor_email}},
        {"$set": {"isMatched": True, "matchedMentorEmail": mentor_email, "matched_at": _now()}},
        session=session(),
    )
    return result.modified_count == 1


def _unclaim_mentee(*, mentee: User, mentor_email: str) -> None:
    _users().update_one(
        {"_id": mentee.pk, "matchedMentorEmail": mentor_email},
        {"$set": {"isMatched": False, "matchedMentorEmail": "", "matched_at": None}},
        session=session(),
    )


def _claim_seat(*, mentor: User, mentee_email: str) -> bool:
    """Step 2 of select: add the mentee to the roster only while the mentor takes mentees,
    has a free seat and lacks them. On success mentor.current_mentees is the roster after
    (returned by the same update, so the response needs no further read)."""
    after = _users().find_one_and_update(
        {
            "_id": mentor.pk,
            "role": Role.MENTOR,
            **AVAILABLE_MENTOR,
            "current_mentees": {"$ne": mentee_email},
            # The roster has no element at index MAX_MENTEES - 1, i.e. fewer than MAX.
            f"current_mentees.{settings.MAX_MENTEES - 1}": {"$exists": False},
        },
        {"$push": {"current_mentees": mentee_email}},
        projection={"current_mentees": True},
        return_document=ReturnDocument.AFTER,
        session=session(),
    )
    if after is None:
        return False
    mentor.current_mentees = after["current_mentees"]
    return True


def _release_seat(*, mentor_email: str, mentee_email: str) -> None:
    _users().update_one(
        {"email": mentor_email}, {"$pull": {"current_mentees": mentee_email}}, session=session()
    )


def _fault_point() -> None:
    """Test-only (MATCH_FAULT_PAUSE_SECONDS, 0 in deployments): hold select between its two
    steps so a test can SIGKILL the server there."""
    if settings.MATCH_FAULT_PAUSE_SECONDS:
        time.sleep(settings.MATCH_FAULT_PAUSE_SECONDS)


def _select_steps(*, mentee: User, mentor: User) -> None:
    if not _claim_mentee(mentee=mentee, mentor_email=mentor.email):
        mentee.refresh_from_db(fields=["isMatched", "blacklisted_mentors"])
        raise BlacklistedError() if not mentee.isMatched else AlreadyMatchedError()
    _fault_point()
    if not _claim_seat(mentor=mentor, mentee_email=mentee.email):
        # Compensation: give the mentee back, then say why the seat was refused.
        _unclaim_mentee(mentee=mentee, mentor_email=mentor.email)
        mentor.refresh_from_db(fields=["is_seeking_mentee", "is_active", "deletion_requested_at"])
        raise MentorFullError() if _mentor_available(mentor) else MentorUnavailableError()


def select_mentor(
    *, mentee: User, mentor_email: str, invitation_id=None, via_round: bool = False
) -> User:
    """Match a mentee with a mentor.

    Raises AlreadyMatchedError, UserNotFoundError, NotAMentorError, BlacklistedError,
    MentorUnavailableError, MentorFullError, MatchInProgressError. Concurrent selects never
    overfill a roster; a crash between the two steps is repaired (services/repair.py).
    invitation_id names the invitation whose acceptance this is (closed on roll-forward);
    via_round: a published round made the match (both sides get that mail, not "matched").
    """
    # The mentee was read by this request's authentication; read again only if a repair
    # changed it. Either way the claim below is conditional on the stored state, so a
    # stale copy can only pick the error message, never a wrong match.
    # Only a matched mentee is looked up for a stale intent here: it may be a select that
    # crashed after claiming the mentee, or an unmatch that crashed before clearing them.
    # A stale intent of an unmatched mentee can only roll back to unmatched or finish an
    # unmatch already recorded on the mentee (repair.py rules 1-2); acquire() below meets
    # it (its insert collides) and repairs it before the claims, which saves every select
    # of an unmatched mentee a query.
    if mentee.isMatched and repair_if_stale(mentee_emails=[mentee.email]):
        mentee.refresh_from_db(fields=["isMatched", "matchedMentorEmail", "blacklisted_mentors"])
    if mentee.isMatched:
        raise AlreadyMatchedError()
    mentor = _counterpart(mentor_email, Role.MENTOR)
    if mentor.email in mentee.blacklisted_mentors:
        raise BlacklistedError()
    require_available(mentor)
    if transactions_supported():
        in_transaction(lambda: _select_steps(mentee=mentee, mentor=mentor))
    else:
        with intent_held(
            op=IntentOp.SELECT,
            mentee_email=mentee.email,
            mentor_email=mentor.email,
            invitation_id=invitation_id,
        ):
            _select_steps(mentee=mentee, mentor=mentor)
    # What the claims wrote (the seat's update returned the roster): no read needed.
    mentee.isMatched, mentee.matchedMentorEmail = True, mentor.email
    (notify.round_published if via_round else notify.matched)(mentee=mentee, mentor=mentor)
    return mentor


def _unmatch_steps(*, mentee_pk, mentee_email: str, mentor_email: str) -> None:
    cleared = _users().update_one(
        {"_id": mentee_pk, "isMatched": True, "matchedMentorEmail": mentor_email},
        {
            "$set": {"isMatched": False, "matchedMentorEmail": "", "matched_at": None},
            "$addToSet": {"blacklisted_mentors": mentor_email},
        },
        session=session(),
    )
    if cleared.modified_count != 1:
        raise NotYourMatchError()
    _release_seat(mentor_email=mentor_email, mentee_email=mentee_email)


def _notify_unmatched(*, mentee_email: str, mentor_email: str) -> None:
    pair_unmatched.send(sender=User, mentee_email=mentee_email, mentor_email=mentor_email)


def _separate(*, mentee_pk, mentee_email: str, mentor_email: str) -> None:
    """Unmatch a pair: mentee cleared and the mentor blacklisted for them, then the roster
    seat released, then the pair's chat deleted (through the pair_unmatched signal). A crash
    after the intent is rolled forward by the repair (the mentee asked to leave)."""
    steps = partial(
        _unmatch_steps, mentee_pk=mentee_pk, mentee_email=mentee_email, mentor_email=mentor_email
    )
    if transactions_supported():
        in_transaction(steps)
        _notify_unmatched(mentee_email=mentee_email, mentor_email=mentor_email)
        return
    with intent_held(op=IntentOp.UNMATCH, mentee_email=mentee_email, mentor_email=mentor_email):
        steps()
        _notify_unmatched(mentee_email=mentee_email, mentor_email=mentor_email)


def mentee_unmatch(*, mentee: User, mentor_email: str, confirmation: str) -> None:
    """The mentee leaves their mentor. Raises BadConfirmationError, UserNotFoundError,
    NotAMentorError, NotYourMatchError, MatchInProgressError."""
    require_confirmation(confirmation)
    mentor = _counterpart(mentor_email, Role.MENTOR)
    repair_if_stale(mentee_emails=[mentee.email])
    mentee.refresh_from_db(fields=["isMatched", "matchedMentorEmail"])
    if mentee.matchedMentorEmail != mentor.email:
        raise NotYourMatchError()
    _separate(mentee_pk=mentee.pk, mentee_email=mentee.email, mentor_email=mentor.email)
    notify.unmatched(recipient=mentor, by=mentee)


def mentor_unmatch(*, mentor: User, mentee_email: str, confirmation: str) -> None:
    """The mentor removes a mentee from their roster. Raises BadConfirmationError,
    UserNotFoundError, NotAMenteeError, NotYourMatchError, MatchInProgressError."""
    require_confirmation(confirmation)
    mentee = _counterpart(mentee_email, Role.MENTEE)
    if repair_if_stale(mentee_emails=[mentee.email]):
        mentee.refresh_from_db()
        mentor.refresh_from_db(fields=["current_mentees"])
    if mentee.email not in mentor.current_mentees or mentee.matchedMentorEmail != mentor.email:
        raise NotYourMatchError()
    _separate(mentee_pk=mentee.pk, mentee_email=mentee.email, mentor_email=mentor.email)
    notify.unmatched(recipient=mentee, by=mentor)


def detach_user(*, user: User) -> None:
    """Before an account is purged: free its match on the other side (no blacklisting), and
    forget the purged mentor in mentees' blacklists (their email is personal data, and an
    address registered afresh later is a new account)."""
    if user.role == Role.MENTEE and user.matchedMentorEmail:
        _release_seat(mentor_email=user.matchedMentorEmail, mentee_email=user.email)
    elif user.role == Role.MENTOR:
        _users().update_many(
            {"matchedMentorEmail": user.email},
            {"$set": {"isMatched": False, "matchedMentorEmail": "", "matched_at": None}},
        )
        _users().update_many(
            {"blacklisted_mentors": user.email}, {"$pull": {"blacklisted_mentors": user.email}}
        )
