"""Read-only questions a coordinator asks of the roster: who is unmatched, and why."""

from collections import Counter
from dataclasses import dataclass

from django.utils import timezone

from matching.models import Invitation, InvitationStatus, Score
from matching.selectors import OPEN_MENTORS, has_free_seat, is_scorable
from users.models import Role, User

# Why a mentee has no mentor, in the order they are checked (the first that holds is
# given): the mentee's own state, then their scores, then the mentors they could have.
REASONS = {
    "inactive": "the account is inactive",
    "pending_deletion": "the account is pending deletion",
    "not_seeking": "not seeking a mentor",
    "incomplete_profile": "no major or no year: the profile cannot be scored",
    "no_scores": "no scores yet: run recalculate_all_scores",
    "no_open_mentor": "no scored mentor is taking mentees",
    "all_blacklisted": "every mentor taking mentees is one the mentee unmatched before",
    "no_free_seat": "every acceptable mentor's roster is full",
    "invitation_pending": "an invitation is waiting for answers",
    "awaiting_match": "acceptable mentors have free seats; no match chosen yet",
}


@dataclass(frozen=True)
class UnmatchedMentee:
    mentee: User
    reason: str

    @property
    def detail(self) -> str:
        return REASONS[self.reason]


def _own_reason(mentee: User) -> str | None:
    if not mentee.is_active:
        return "inactive"
    if mentee.deletion_requested_at is not None:
        return "pending_deletion"
    if not mentee.is_seeking_mentor:
        return "not_seeking"
    if not is_scorable(mentee):
        return "incomplete_profile"
    return None


def _mentor_reason(scored: set[str], blacklist: set[str], open_mentors: dict) -> str:
    if not scored:
        return "no_scores"
    reachable = [open_mentors[e] for e in scored if e in open_mentors]
    if not reachable:
        return "no_open_mentor"
    acceptable = [m for m in reachable if m.email not in blacklist]
    if not acceptable:
        return "all_blacklisted"
    if not any(has_free_seat(m) for m in acceptable):
        return "no_free_seat"
    return ""


def unmatched_mentees(*, emails: set[str] | None = None) -> list[UnmatchedMentee]:
    """Every mentee without a mentor (or only those in emails), by email, with the first
    reason of REASONS that holds. A handful of queries whatever the cohort size."""
    mentees = User.objects.filter(role=Role.MENTEE, isMatched=False).order_by("email")
    if emails is not None:
        mentees = mentees.filter(email__in=sorted(emails))
    mentees = list(mentees)
    own = {m.email: _own_reason(m) for m in mentees}
    open_ = [m.email for m in mentees if own[m.email] is None]
    scored: dict[str, set[str]] = {email: set() for email in open_}
    for mentee_email, mentor_email in Score.objects.filter(mentee_email__in=open_).values_list(
        "mentee_email", "mentor_email"
    ):
        scored[mentee_email].add(mentor_email)
    open_mentors = {m.email: m for m in User.objects.filter(**OPEN_MENTORS) if is_scorable(m)}
    waiting = set(
        Invitation.objects.filter(
            mentee_email__in=open_, status=InvitationStatus.PENDING, expires_at__gt=timezone.now()
        ).values_list("mentee_email", flat=True)
    )
    found = []
    for mentee in mentees:
        reason = own[mentee.email] or _mentor_reason(
            scored[mentee.email], set(mentee.blacklisted_mentors), open_mentors
        )
        if not reason:
            reason = "invitation_pending" if mentee.email in waiting else "awaiting_match"
        found.append(UnmatchedMentee(mentee, reason))
    return found


def count_by_reason(unmatched: list[UnmatchedMentee]) -> dict[str, int]:
    counts = Counter(u.reason for u in unmatched)
    return {reason: counts[reason] for reason in REASONS if counts[reason]}
