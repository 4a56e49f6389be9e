"""Plain dict builders for user payloads. Never include the password or its hash."""

from datetime import datetime, timedelta

from django.conf import settings

from users.models import NOTIFICATION_KINDS, User


def iso(value: datetime | None) -> str | None:
    """ISO 8601 UTC with millisecond precision and a Z suffix (MongoDB keeps milliseconds)."""
    if value is None:
        return None
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def year_to_json(year: str) -> int | str | None:
    """The stored year as the API shows it: 1–5 as integers, "5+" as a string, blank as null."""
    if not year:
        return None
    return int(year) if year.isdigit() else year


def deletion_scheduled_for(user: User) -> datetime | None:
    if user.deletion_requested_at is None:
        return None
    return user.deletion_requested_at + timedelta(days=settings.ACCOUNT_DELETION_GRACE_DAYS)


def profile_to_json(user: User) -> dict:
    """The profile as others see it (match lists, rosters) and as the user's own view
    starts."""
    return {
        "email": user.email,
        "name": user.full_name,
        "major": list(user.major),
        "minor": list(user.minor),
        "year": year_to_json(user.year),
        "hobbies": user.hobbies,
        "clubs": user.clubs,
        "goals": user.goals,
        "specialCategories": user.special_categories,
    }


def user_to_json(user: User) -> dict:
    """The signed-in user's own view of their account."""
    return {
        "id": str(user.pk),
        "role": user.role,
        "firstName": user.firstName,
        "lastName": user.lastName,
        **profile_to_json(user),
        "international": user.international,
        "commuter": user.commuter,
        "firstgen": user.firstgen,
        "outofstate": user.outofstate,
        "transfer": user.transfer,
        "is_seeking_mentor": user.is_seeking_mentor,
        "is_seeking_mentee": user.is_seeking_mentee,
        "requirements": user.requirements,
        "isMatched": user.isMatched,
        "matchedMentorEmail": user.matchedMentorEmail or None,
        "current_mentees": list(user.current_mentees),
        "date_joined": iso(user.date_joined),
        "deletion_requested_at": iso(user.deletion_requested_at),
        "deletion_scheduled_for": iso(deletion_scheduled_for(user)),
        "email_verified": user.email_verified_at is not None,
        "email_notifications": {kind: user.wants_notification(kind) for kind in NOTIFICATION_KINDS},
    }
