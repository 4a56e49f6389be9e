"""Request and response schemas of the preferences and rounds endpoints (API.md
"Preferences and rounds")."""

from typing import Literal

from pydantic import Field

from core.schemas import Out, Strict

Objective = Literal["total", "stable", "fair"]
Mode = Literal["invitations", "matches"]


class PreferencesIn(Strict):
    mentors: list[str] = Field(description="Mentor emails, best first; [] clears the list.")


class Preference(Out):
    mentor: str
    rank: int
    available: bool = Field(
        description="False when the mentor cannot take the mentee now (full, not seeking, "
        "inactive, pending deletion, blacklisted or deleted)."
    )


class Preferences(Out):
    preferences: list[Preference]
    max: int = Field(description="MAX_PREFERENCES (default 5).")


class PairIn(Strict):
    mentee: str
    mentor: str


class RoundIn(Strict):
    objective: Objective
    pinned: list[PairIn] = []
    excluded: list[PairIn] = []


class PublishIn(Strict):
    as_: Mode = Field(alias="as")


class Pair(Out):
    mentee: str
    mentor: str


class Assignment(Pair):
    score: float
    rank: int | None = Field(
        description="The mentor's place in the mentee's own order (shortlist, then score)."
    )


class MentorLoad(Out):
    mentor: str
    assigned: int
    free_seats: int


class UnmatchedMentee(Out):
    mentee: str
    reason: Literal["no_eligible_mentor", "only_blacklisted_or_excluded_mentors", "no_seat_left"]


class Report(Out):
    matched: int
    seats_used: int
    seats_free: int
    total_score: float
    mean_score: float | None
    min_score: float | None
    rank1_share: float | None
    top3_share: float | None
    mean_rank: float | None
    worst_rank: int | None
    blocking_pairs: int = Field(
        description="Pairs acceptable to both where the mentee is unseated or prefers the "
        "mentor, and the mentor has a free seat or prefers the mentee to one it got."
    )
    mentor_load: list[MentorLoad]
    unmatched: list[UnmatchedMentee]


class MatchingRoundSummary(Out):
    id: str
    objective: Objective
    status: Literal["draft", "publishing", "published"]
    created_at: str
    created_by: str | None
    pinned: list[Pair]
    excluded: list[Pair]
    report: Report
    published_as: Mode | None
    published_at: str | None


class MatchingRound(MatchingRoundSummary):
    assignments: list[Assignment]


class RoundEnvelope(Out):
    round: MatchingRound


class RoundList(Out):
    rounds: list[MatchingRoundSummary]


class Skipped(Pair):
    reason: str = Field(description="An error code: already_matched, mentor_full, ...")


class Published(Out):
    round: MatchingRound
    published: list[Pair]
    skipped: list[Skipped]
