"""Plain dict builders for mentors and mentees as the matching endpoints show them."""

from django.conf import settings

from users.models import User
from users.serializers import year_to_json


def full_name(user: User) -> str:
    """ "First Last", or "Not provided" when both are blank (User.full_name)."""
    return user.full_name


def _profile(user: User) -> dict:
    return {
        "email": user.email,
        "name": full_name(user),
        "major": list(user.major),
        "minor": list(user.minor),
        "year": year_to_json(user.year),
        "hobbies": user.hobbies,
        "clubs": user.clubs,
        "goals": user.goals,
        "specialCategories": user.special_categories,
    }


def serialize_mentor(mentor: User, score=None) -> dict:
    """A mentor; with `score` (a Score row) also its score and breakdown."""
    data = {
        **_profile(mentor),
        "available_slots": max(0, settings.MAX_MENTEES - len(mentor.current_mentees)),
    }
    if score is not None:
        data["score"] = score.score
        data["breakdown"] = {
            "text": score.text,
            "year": score.year,
            "categories": score.categories,
        }
    return data


def serialize_mentee(mentee: User) -> dict:
    return _profile(mentee)


def invitation_to_json(invitation) -> dict:
    from users.serializers import iso

    return {
        "id": str(invitation.pk),
        "mentor": invitation.mentor_email,
        "mentee": invitation.mentee_email,
        "created_by": invitation.created_by_email,
        "created_at": iso(invitation.created_at),
        "expires_at": iso(invitation.expires_at),
        "mentor_response": invitation.mentor_response,
        "mentee_response": invitation.mentee_response,
        "status": invitation.status,
    }
