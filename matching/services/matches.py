"""Forming and ending matches, race-safe without multi-document transactions.

A match lives in two documents: the mentee's (isMatched, matchedMentorEmail) and the
mentor's roster (current_mentees). Each step is one conditional single-document update
whose matched count is checked; when the second step fails the first is compensated.
Rosters are never read-modify-written: the capacity check is part of the update's filter.
"""

from django.conf import settings
from django.db import connection

from matching.errors import (
    AlreadyMatchedError,
    BadConfirmationError,
    BlacklistedError,
    MentorFullError,
    NotAMenteeError,
    NotAMentorError,
    NotYourMatchError,
    UserNotFoundError,
)
from matching.selectors import get_user_by_email
from users.models import Role, User

UNMATCH_CONFIRMATION = "I would like to unmatch"


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


def _claim_seat(*, mentor: User, mentee_email: str) -> bool:
    """Add the mentee to the roster only while it has a free seat and lacks them."""
    result = _users().update_one(
        {
            "_id": mentor.pk,
            "role": Role.MENTOR,
            "deletion_requested_at": None,
            "current_mentees": {"$ne": mentee_email},
            # The roster has no element at index MAX_MENTEES - 1, i.e. fewer than MAX.
            f"current_mentees.{settings.MAX_MENTEES - 1}": {"$exists": False},
        },
        {"$push": {"current_mentees": mentee_email}},
    )
    return result.modified_count == 1


def _release_seat(*, mentor_email: str, mentee_email: str) -> None:
    _users().update_one({"email": mentor_email}, {"$pull": {"current_mentees": mentee_email}})


def select_mentor(*, mentee: User, mentor_email: str) -> User:
    """Match a mentee with a mentor.

    Raises AlreadyMatchedError, UserNotFoundError, NotAMentorError, BlacklistedError,
    MentorFullError. Concurrent selects never overfill a roster nor leave a mentee marked
    matched to a mentor whose roster lacks them.
    """
    if mentee.isMatched:
        raise AlreadyMatchedError()
    mentor = _counterpart(mentor_email, Role.MENTOR)
    if mentor.email in mentee.blacklisted_mentors:
        raise BlacklistedError()
    # Step 1: claim the mentee (only while unmatched and not blacklisted for this mentor).
    claimed = _users().update_one(
        {"_id": mentee.pk, "isMatched": False, "blacklisted_mentors": {"$ne": mentor.email}},
        {"$set": {"isMatched": True, "matchedMentorEmail": mentor.email}},
    )
    if claimed.modified_count != 1:
        mentee.refresh_from_db(fields=["isMatched", "blacklisted_mentors"])
        raise BlacklistedError() if not mentee.isMatched else AlreadyMatchedError()
    # Step 2: claim a seat; on failure give the mentee back (compensation).
    if not _claim_seat(mentor=mentor, mentee_email=mentee.email):
        _users().update_one(
            {"_id": mentee.pk, "matchedMentorEmail": mentor.email},
            {"$set": {"isMatched": False, "matchedMentorEmail": ""}},
        )
        raise MentorFullError()
    mentee.refresh_from_db(fields=["isMatched", "matchedMentorEmail"])
    mentor.refresh_from_db(fields=["current_mentees"])
    return mentor


def _separate(*, mentee_pk, mentee_email: str, mentor_email: str) -> None:
    """Unmatch a pair: mentee cleared and the mentor blacklisted for them, then the roster
    seat released, then the pair's chat deleted (through the pair_unmatched signal)."""
    from matching.signals import pair_unmatched

    cleared = _users().update_one(
        {"_id": mentee_pk, "isMatched": True, "matchedMentorEmail": mentor_email},
        {
            "$set": {"isMatched": False, "matchedMentorEmail": ""},
            "$addToSet": {"blacklisted_mentors": mentor_email},
        },
    )
    if cleared.modified_count != 1:
        raise NotYourMatchError()
    _release_seat(mentor_email=mentor_email, mentee_email=mentee_email)
    pair_unmatched.send(sender=User, mentee_email=mentee_email, mentor_email=mentor_email)


def mentee_unmatch(*, mentee: User, mentor_email: str, confirmation: str) -> None:
    """The mentee leaves their mentor. Raises BadConfirmationError, UserNotFoundError,
    NotAMentorError, NotYourMatchError."""
    require_confirmation(confirmation)
    mentor = _counterpart(mentor_email, Role.MENTOR)
    if mentee.matchedMentorEmail != mentor.email:
        raise NotYourMatchError()
    _separate(mentee_pk=mentee.pk, mentee_email=mentee.email, mentor_email=mentor.email)


def mentor_unmatch(*, mentor: User, mentee_email: str, confirmation: str) -> None:
    """The mentor removes a mentee from their roster. Raises BadConfirmationError,
    UserNotFoundError, NotAMenteeError, NotYourMatchError."""
    require_confirmation(confirmation)
    mentee = _counterpart(mentee_email, Role.MENTEE)
    if mentee.email not in mentor.current_mentees or mentee.matchedMentorEmail != mentor.email:
        raise NotYourMatchError()
    _separate(mentee_pk=mentee.pk, mentee_email=mentee.email, mentor_email=mentor.email)


def detach_user(*, user: User) -> None:
    """Before an account is purged: free its match on the other side (no blacklisting), and
    forget the purged mentor in mentees' blacklists (their email is personal data, and an
    address registered afresh later is a new account)."""
    if user.role == Role.MENTEE and user.matchedMentorEmail:
        _release_seat(mentor_email=user.matchedMentorEmail, mentee_email=user.email)
    elif user.role == Role.MENTOR:
        _users().update_many(
            {"matchedMentorEmail": user.email},
            {"$set": {"isMatched": False, "matchedMentorEmail": ""}},
        )
        _users().update_many(
            {"blacklisted_mentors": user.email}, {"$pull": {"blacklisted_mentors": user.email}}
        )
