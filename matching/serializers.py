"""Plain dict builders for mentors and mentees as the matching endpoints show them."""

from django.conf import settings

from users.models import User
from users.serializers import iso, profile_to_json


def serialize_mentor(mentor: User, score=None) -> dict:
    """A mentor; with `score` (a mapping of a Score's score, text, year and categories, as
    selectors.ranked_matches reads them) also its score and breakdown."""
    data = {
        **profile_to_json(mentor),
        "available_slots": max(0, settings.MAX_MENTEES - len(mentor.current_mentees)),
    }
    if score is not None:
        data["score"] = score["score"]
        data["breakdown"] = {
            "text": score["text"],
            "year": score["year"],
            "categories": score["categories"],
        }
    return data


def serialize_mentee(mentee: User) -> dict:
    return profile_to_json(mentee)


def invitation_to_json(invitation) -> dict:
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
