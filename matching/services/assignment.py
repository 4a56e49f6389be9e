"""The globally best assignment of unmatched mentees to mentors' free seats.

Maximises the total score within roster capacities, never pairing a blacklisted mentor.
Solved exactly with scipy's linear_sum_assignment (Hungarian / Jonker–Volgenant) over
capacity-expanded columns: mentor j appears once per free seat.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from scipy.optimize import linear_sum_assignment

from core.errors import AppError
from matching.models import Score
from matching.selectors import OPEN_MENTEES, OPEN_MENTORS, has_free_seat, is_scorable
from matching.services.invitations import create_invitation
from users.models import User

FORBIDDEN = -1e9


def solve_assignment(
    scores: np.ndarray, capacities: Sequence[int], allowed: np.ndarray | None = None
) -> list[tuple[int, int]]:
    """(mentee row, mentor column) pairs maximising the total score; each row used at most
    once, column j at most capacities[j] times, only allowed cells with a score (NaN = none)."""
    scores = np.asarray(scores, dtype=np.float64)
    usable = ~np.isnan(scores)
    if allowed is not None:
        usable &= np.asarray(allowed, dtype=bool)
    columns = np.repeat(np.arange(scores.shape[1]), np.asarray(capacities, dtype=int))
    n = scores.shape[0]
    if n == 0 or columns.size == 0:
        return []
    # One "stay unassigned" column per mentee (weight 0) lets the solver leave a mentee
    # out instead of being forced into a forbidden cell, which weighs far below anything.
    weights = np.hstack([np.where(usable, scores, FORBIDDEN)[:, columns], np.zeros((n, n))])
    rows, cols = linear_sum_assignment(weights, maximize=True)
    return [
        (int(r), int(columns[c]))
        for r, c in zip(rows, cols, strict=True)
        if c < columns.size and usable[r, columns[c]]
    ]


@dataclass
class Proposal:
    assignments: list[tuple[str, str, float]]  # (mentee email, mentor email, score)

    @property
    def total_score(self) -> float:
        return round(sum(score for _, _, score in self.assignments), 2)

    def to_json(self) -> dict:
        return {
            "assignments": [
                {"mentee": mentee, "mentor": mentor, "score": score}
                for mentee, mentor, score in self.assignments
            ],
            "total_score": self.total_score,
        }


def open_cohort() -> tuple[list[User], list[User]]:
    """The unmatched, seeking, scorable mentees and the open, scorable mentors with free
    seats, each in sign-up order (two queries): who propose_matches and a round assign."""
    mentees = [
        u
        for u in User.objects.filter(isMatched=False, **OPEN_MENTEES).order_by("date_joined", "pk")
        if is_scorable(u)
    ]
    mentors = [
        u
        for u in User.objects.filter(**OPEN_MENTORS).order_by("date_joined", "pk")
        if is_scorable(u) and has_free_seat(u)
    ]
    return mentees, mentors


def score_matrix(mentees: list[User], mentors: list[User]) -> tuple[np.ndarray, np.ndarray]:
    """The stored scores of mentees × mentors (NaN where none; one query) and the allowed
    mask (False where the mentee blacklisted the mentor)."""
    row = {u.email: i for i, u in enumerate(mentees)}
    col = {u.email: j for j, u in enumerate(mentors)}
    matrix = np.full((len(mentees), len(mentors)), np.nan)
    if mentees and mentors:
        for mentee_email, mentor_email, score in Score.objects.filter(
            mentee_email__in=list(row)
        ).values_list("mentee_email", "mentor_email", "score"):
            if mentor_email in col:
                matrix[row[mentee_email], col[mentor_email]] = score
    allowed = np.ones(matrix.shape, dtype=bool)
    for i, mentee in enumerate(mentees):
        for banned in mentee.blacklisted_mentors:
            if banned in col:
                allowed[i, col[banned]] = False
    return matrix, allowed


def propose_matches() -> Proposal:
    """The optimal assignment of unmatched, seeking, scorable mentees to seeking mentors
    with free seats, from the stored scores (three queries)."""
    mentees, mentors = open_cohort()
    if not mentees or not mentors:
        return Proposal([])
    matrix, allowed = score_matrix(mentees, mentors)
    capacities = [settings.MAX_MENTEES - len(m.current_mentees) for m in mentors]
    pairs = solve_assignment(matrix, capacities, allowed)
    found = [(mentees[i].email, mentors[j].email, float(matrix[i, j])) for i, j in pairs]
    found.sort(key=lambda a: (-a[2], a[0]))
    return Proposal(found)


def apply_proposal(proposal: Proposal, *, admin: User) -> tuple[int, list[str]]:
    """Send each proposed pair an invitation from the admin; returns (sent, failures)."""
    sent, failures = 0, []
    for mentee, mentor, _ in proposal.assignments:
        try:
            create_invitation(creator=admin, mentor_email=mentor, mentee_email=mentee)
            sent += 1
        except AppError as error:
            failures.append(f"{mentee} → {mentor}: {error} ({error.code})")
    return sent, failures
