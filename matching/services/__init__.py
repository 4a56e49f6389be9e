"""Matching rules. The package re-exports every service so callers import matching.services."""

from matching.services.matches import (
    UNMATCH_CONFIRMATION,
    detach_user,
    mentee_unmatch,
    mentor_unmatch,
    require_confirmation,
    select_mentor,
)
from matching.services.scores import (
    SCORING_FIELDS,
    profile_of,
    recalculate_all_scores,
    refresh_scores_for_user,
    refresh_scores_for_users,
    remove_user_scores,
)

__all__ = [
    "SCORING_FIELDS",
    "UNMATCH_CONFIRMATION",
    "detach_user",
    "mentee_unmatch",
    "mentor_unmatch",
    "profile_of",
    "recalculate_all_scores",
    "refresh_scores_for_user",
    "refresh_scores_for_users",
    "remove_user_scores",
    "require_confirmation",
    "select_mentor",
]
