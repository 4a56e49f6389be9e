"""Request and response schemas of the matching endpoints (API.md "Matching", "Invitations")."""

from typing import Literal

from ninja import Schema

from core.schemas import Strict
from users.schemas import Profile


class SelectIn(Strict):
    mentor_email: str


class UnmatchIn(Strict):
    """A mentee names the mentor (mentor_email), a mentor the mentee (mentee_email); the
    other field is unknown_field for that role (matching.api.unmatch)."""

    confirmation: str
    mentor_email: str = None
    mentee_email: str = None


class InvitationIn(Strict):
    mentor_email: str
    mentee_email: str


class RespondIn(Strict):
    accept: bool


class MentorCard(Profile):
    """matching.serializers.serialize_mentor without a score."""

    available_slots: int


class Breakdown(Schema):
    text: float
    year: float
    categories: float


class RankedMentor(MentorCard):
    """A mentor in a match list: its score (0–100) and the parts that sum to it."""

    score: float
    breakdown: Breakdown


class MatchList(Schema):
    matches: list[RankedMentor]
    total: int


class MenteeList(Schema):
    mentees: list[Profile]
    total: int


class Selected(Schema):
    success: bool
    message: str
    mentor: MentorCard


class MyMentor(Schema):
    mentor: MentorCard


class Unmatched(Schema):
    success: bool
    message: str


ResponseValue = Literal["accepted", "declined"]


class Invitation(Schema):
    """matching.serializers.invitation_to_json."""

    id: str
    mentor: str
    mentee: str
    created_by: str
    created_at: str | None
    expires_at: str | None
    mentor_response: ResponseValue | None
    mentee_response: ResponseValue | None
    status: Literal["pending", "accepted", "declined", "cancelled", "expired"]


class InvitationEnvelope(Schema):
    invitation: Invitation


class InvitationList(Schema):
    invitations: list[Invitation]
