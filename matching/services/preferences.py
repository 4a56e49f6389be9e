"""A mentee's shortlist of mentors (API.md "Preferences and rounds").

Stored as one Preference document per mentee, replaced whole. A mentee's preference order
over mentors is the shortlist first, then the other mentors by score (used by rounds);
a mentor's preferences are the scores.
"""

from django.conf import settings
from django.db import IntegrityError, connection
from django.utils import timezone

from matching.errors import (
    BlacklistedError,
    DuplicatePreferenceError,
    NotAMentorError,
    TooManyPreferencesError,
    UserNotFoundError,
)
from matching.models import Preference
from matching.selectors import OPEN_MENTORS, has_free_seat
from users.models import Role, User, normalize_email


def shortlist_of(mentee_email: str) -> list[str]:
    found = Preference.objects.filter(mentee_email=mentee_email).first()
    return list(found.mentors) if found else []


def shortlists_of(mentee_emails: list[str]) -> dict[str, list[str]]:
    """Every listed mentee's shortlist in one query (mentees without one are left out)."""
    return {
        p.mentee_email: list(p.mentors)
        for p in Preference.objects.filter(mentee_email__in=mentee_emails)
    }


def _available_to(mentee: User, mentor: User | None) -> bool:
    """Whether the mentor can take this mentee now: an open mentor with a free seat whom
    the mentee has not unmatched before."""
    if mentor is None:
        return False
    open_mentor = all(getattr(mentor, field) == value for field, value in OPEN_MENTORS.items())
    return open_mentor and has_free_seat(mentor) and mentor.email not in mentee.blacklisted_mentors


def get_preferences(*, mentee: User) -> list[dict]:
    """The shortlist, best first, each with its rank and whether the mentor is available;
    unavailable (or since deleted) mentors stay listed. Two queries."""
    emails = shortlist_of(mentee.email)
    mentors = {u.email: u for u in User.objects.filter(email__in=emails)} if emails else {}
    return [
        {"mentor": email, "rank": rank, "available": _available_to(mentee, mentors.get(email))}
        for rank, email in enumerate(emails, start=1)
    ]


def set_preferences(*, mentee: User, mentors: list[str]) -> list[dict]:
    """Replace the shortlist. Raises TooManyPreferencesError, DuplicatePreferenceError
    (both 400 invalid_field), UserNotFoundError, NotAMentorError, BlacklistedError; on any
    error nothing changes."""
    if len(mentors) > settings.MAX_PREFERENCES:
        raise TooManyPreferencesError(
            f"At most {settings.MAX_PREFERENCES} mentors may be shortlisted."
        )
    emails = [normalize_email(email) for email in mentors]
    if len(set(emails)) != len(emails):
        raise DuplicatePreferenceError()
    found = {u.email: u for u in User.objects.filter(email__in=emails)} if emails else {}
    for email in emails:
        user = found.get(email)
        if user is None:
            raise UserNotFoundError(f"No user has the email {email!r}.")
        if user.role != Role.MENTOR:
            raise NotAMentorError(f"{email} is not a mentor.")
        if email in mentee.blacklisted_mentors:
            raise BlacklistedError(f"You unmatched {email} before and cannot shortlist them.")
    now = timezone.now()
    # Upsert on the unique mentee_email: a concurrent first PUT of the same mentee loses the
    # insert race with IntegrityError and then updates the document the other one made.
    if not Preference.objects.filter(mentee_email=mentee.email).update(
        mentors=emails, updated_at=now
    ):
        try:
            Preference.objects.create(mentee_email=mentee.email, mentors=emails, updated_at=now)
        except IntegrityError:
            Preference.objects.filter(mentee_email=mentee.email).update(
                mentors=emails, updated_at=now
            )
    return get_preferences(mentee=mentee)


def delete_preferences_of(*, email: str) -> None:
    """Account purge: the mentee's shortlist goes, and a purged mentor leaves every list
    (their address is personal data)."""
    Preference.objects.filter(mentee_email=email).delete()
    connection.get_collection(Preference._meta.db_table).update_many(
        {"mentors": email}, {"$pull": {"mentors": email}}
    )
