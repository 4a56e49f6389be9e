"""Request and response schemas of the matching endpoints (API.md "Matching", "Invitations")."""

from typing import Literal

from core.schemas import Out, Strict
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


class Breakdown(Out):
    text: float
    year: float
    categories: float


class RankedMentor(MentorCard):
    """A mentor in a match list: its score (0–100) and the parts that sum to it."""

    score: float
    breakdown: Breakdown


class MatchList(Out):
    matches: list[RankedMentor]
    total: int


class MenteeList(Out):
    mentees: list[Profile]
    total: int


class Selected(Out):
    success: bool
    message: str
    mentor: MentorCard


class MyMentor(Out):
    mentor: MentorCard


class Unmatched(Out):
    success: bool
    message: str


ResponseValue = Literal["accepted", "declined"]


class Invitation(Out):
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


class InvitationEnvelope(Out):
    invitation: Invitation


class InvitationList(Out):
    invitations: list[Invitation]
