"""Errors of the matching rules."""

from core.errors import (
    AppError,
    ConflictError,
    ForbiddenError,
    InvalidFieldError,
    NotFoundError,
    ValidationFailedError,
)


class UserNotFoundError(NotFoundError):
    code, message = "user_not_found", "No user has this email."


class AlreadyMatchedError(AppError):
    code, message = "already_matched", "You already have a mentor. Unmatch first."


class NotAMentorError(AppError):
    code, message = "not_a_mentor", "This user is not a mentor."


class NotAMenteeError(AppError):
    code, message = "not_a_mentee", "This user is not a mentee."


class BlacklistedError(ForbiddenError):
    code, message = "blacklisted", "You unmatched this mentor before and cannot select them again."


class MentorFullError(ConflictError):
    code, message = "mentor_full", "This mentor's roster is full."


class NotMatchedError(AppError):
    code, message = "not_matched", "You are not matched with a mentor."


class NotYourMatchError(ForbiddenError):
    code, message = "not_your_match", "You are not matched with this user."


class BadConfirmationError(ValidationFailedError):
    code = "bad_confirmation"
    message = "Type exactly 'I would like to unmatch' to confirm."


class NotInvitationPartyError(ForbiddenError):
    code = "not_invitation_party"
    message = "Only the mentor or mentee named (or an admin) can do this."


class InvitationNotPendingError(ConflictError):
    code, message = "invitation_not_pending", "This invitation is no longer pending."


class InvitationExistsError(ConflictError):
    code, message = "invitation_exists", "A pending invitation for this pair already exists."


class InvitationNotFoundError(NotFoundError):
    code, message = "invitation_not_found", "No such invitation."


class SelfInvitationError(ValidationFailedError):
    code, message = "self_invitation", "A mentor cannot be their own mentee."


class MentorUnavailableError(ConflictError):
    code = "mentor_unavailable"
    message = "This mentor is not taking mentees (not seeking, inactive or leaving)."


class TooManyPendingInvitationsError(ConflictError):
    code = "too_many_pending_invitations"
    message = "This mentee has too many pending invitations; some must be answered first."


class MatchInProgressError(ConflictError):
    code = "match_in_progress"
    message = "Another change of this mentee's match is in progress; try again."


# --- Preferences and rounds (issue 15) ---
class TooManyPreferencesError(InvalidFieldError):
    message = "Too many mentors: the shortlist holds at most MAX_PREFERENCES."


class DuplicatePreferenceError(InvalidFieldError):
    message = "A mentor appears twice in the shortlist."


class InvalidRoundPairError(InvalidFieldError):
    """A pinned or excluded pair the round cannot take (not in the cohort, not eligible,
    conflicting, or more pins on a mentor than free seats)."""

    message = "A pinned or excluded pair is not eligible for this round."


class RoundNotFoundError(NotFoundError):
    code, message = "round_not_found", "No such round."


class AlreadyPublishedError(ConflictError):
    code, message = "already_published", "This round is already published or being published."
