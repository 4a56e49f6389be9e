"""Matching endpoints (API.md "Matching", "Invitations and matchmaking") and the profile."""

from django.conf import settings
from ninja import Router

from core import ratelimit
from core.api import JsonBody, raises, validated_json
from core.auth import BearerAuth
from core.errors import (
    InvalidFieldError,
    MissingFieldError,
    RateLimitedError,
    UnknownFieldError,
    ValidationFailedError,
)
from matching import selectors
from matching.errors import (
    AlreadyMatchedError,
    BadConfirmationError,
    BlacklistedError,
    InvitationExistsError,
    InvitationNotFoundError,
    InvitationNotPendingError,
    MatchInProgressError,
    MentorFullError,
    MentorUnavailableError,
    NotAMenteeError,
    NotAMentorError,
    NotInvitationPartyError,
    NotMatchedError,
    NotYourMatchError,
    SelfInvitationError,
    TooManyPendingInvitationsError,
    UserNotFoundError,
)
from matching.schemas import (
    InvitationEnvelope,
    InvitationIn,
    InvitationList,
    MatchList,
    MenteeList,
    MyMentor,
    RespondIn,
    Selected,
    SelectIn,
    Unmatched,
    UnmatchIn,
)
from matching.serializers import invitation_to_json, serialize_mentee, serialize_mentor
from matching.services import invitations as invitation_service
from matching.services import matches
from matching.services.repair import repair_if_stale
from users.models import Role
from users.schemas import EmptyIn, ProfileIn, UserEnvelope
from users.selectors import get_user_by_email
from users.serializers import user_to_json
from users.services import update_profile

router = Router(tags=["matching"])
MENTEE = BearerAuth(roles={Role.MENTEE})
MENTOR = BearerAuth(roles={Role.MENTOR})
MENTEE_OR_MENTOR = BearerAuth(roles={Role.MENTEE, Role.MENTOR})


def _match_list(mentee):
    ranked = selectors.ranked_matches(mentee=mentee)
    payload = [serialize_mentor(mentor, score) for mentor, score in ranked]
    # Hundreds of mentors on every visit to the match page: rendered by validated_json.
    return validated_json(MatchList, {"matches": payload, "total": len(payload)})


@router.get("/matches/", auth=MENTEE, response=MatchList, url_name="matches")
def get_mentor_matches(request):
    return _match_list(request.auth)


@router.get("/rematch/", auth=MENTEE, response=MatchList, url_name="rematch")
def rematch(request):
    return _match_list(request.auth)


@router.post("/select/", auth=MENTEE, response=Selected, url_name="select")
@raises(
    AlreadyMatchedError,
    NotAMentorError,
    BlacklistedError,
    UserNotFoundError,
    MentorFullError,
    MentorUnavailableError,
    MatchInProgressError,
)
def select_mentor(request, body: JsonBody[SelectIn]):
    mentor = matches.select_mentor(mentee=request.auth, mentor_email=body.mentor_email)
    return {
        "success": True,
        "message": f"You are now matched with {mentor.email}.",
        "mentor": serialize_mentor(mentor),
    }


@router.get("/my-mentor/", auth=MENTEE, response=MyMentor, url_name="my_mentor")
@raises(NotMatchedError, UserNotFoundError)
def get_my_mentor(request):
    user = request.auth
    if repair_if_stale(mentee_emails=[user.email]):
        user.refresh_from_db()
    if not user.isMatched or not user.matchedMentorEmail:
        raise NotMatchedError()
    mentor = get_user_by_email(user.matchedMentorEmail)
    if mentor is None:
        raise UserNotFoundError("Your mentor's account no longer exists.")
    return {"mentor": serialize_mentor(mentor)}


@router.get("/my-mentees/", auth=MENTOR, response=MenteeList, url_name="my_mentees")
def get_my_mentees(request):
    user = request.auth
    if repair_if_stale(mentee_emails=list(user.current_mentees)):
        user.refresh_from_db()
    mentees = [serialize_mentee(m) for m in selectors.mentees_of(mentor=user)]
    return {"mentees": mentees, "total": len(mentees)}


def _counterpart(body: UnmatchIn, wanted: str, other: str) -> str:
    """The one email field of the caller's role: the other role's field is unknown here."""
    if getattr(body, other) is not None:
        raise UnknownFieldError(f"Unknown field(s): {other}.")
    value = getattr(body, wanted)
    if value is None:
        raise MissingFieldError(f"The field '{wanted}' is required.")
    return value


@router.post("/unmatch/", auth=MENTEE_OR_MENTOR, response=Unmatched, url_name="unmatch")
@raises(
    BadConfirmationError,
    NotAMentorError,
    NotAMenteeError,
    NotYourMatchError,
    UserNotFoundError,
    MatchInProgressError,
)
def unmatch(request, body: JsonBody[UnmatchIn]):
    user = request.auth
    if user.role == Role.MENTEE:
        mentor_email = _counterpart(body, "mentor_email", "mentee_email")
        matches.mentee_unmatch(
            mentee=user, mentor_email=mentor_email, confirmation=body.confirmation
        )
    else:
        mentee_email = _counterpart(body, "mentee_email", "mentor_email")
        matches.mentor_unmatch(
            mentor=user, mentee_email=mentee_email, confirmation=body.confirmation
        )
    return {"success": True, "message": "Successfully unmatched."}


@router.put("/profile/", response=UserEnvelope, url_name="profile")
@raises(ValidationFailedError, InvalidFieldError)
def update_profile_view(request, body: JsonBody[ProfileIn]):
    user = update_profile(user=request.auth, changes=body.model_dump(exclude_unset=True))
    return {"user": user_to_json(user)}


@router.get("/invitations/", response=InvitationList, url_name="invitations")
def list_invitations(request):
    found = invitation_service.list_invitations(user=request.auth)
    return {"invitations": [invitation_to_json(i) for i in found]}


@router.post("/invitations/", response={201: InvitationEnvelope}, url_name="invitations")
@raises(
    SelfInvitationError,
    NotAMentorError,
    NotAMenteeError,
    AlreadyMatchedError,
    NotInvitationPartyError,
    BlacklistedError,
    UserNotFoundError,
    InvitationExistsError,
    TooManyPendingInvitationsError,
    MentorUnavailableError,
    RateLimitedError,
)
def create_invitation(request, body: JsonBody[InvitationIn]):
    user = request.auth
    ratelimit.limit("invitation-create", str(user.pk), settings.INVITATION_CREATES_PER_USER)
    invitation = invitation_service.create_invitation(
        creator=user, mentor_email=body.mentor_email, mentee_email=body.mentee_email
    )
    return {"invitation": invitation_to_json(invitation)}


@router.post(
    "/invitations/{invitation_id}/respond/",
    auth=MENTEE_OR_MENTOR,
    response=InvitationEnvelope,
    url_name="respond_invitation",
)
@raises(
    AlreadyMatchedError,
    NotInvitationPartyError,
    BlacklistedError,
    InvitationNotFoundError,
    InvitationNotPendingError,
    MentorFullError,
    MentorUnavailableError,
    MatchInProgressError,
)
def respond_invitation(request, invitation_id: str, body: JsonBody[RespondIn]):
    invitation = invitation_service.respond_invitation(
        user=request.auth, invitation_id=invitation_id, accept=body.accept
    )
    return {"invitation": invitation_to_json(invitation)}


@router.post(
    "/invitations/{invitation_id}/cancel/",
    response=InvitationEnvelope,
    url_name="cancel_invitation",
)
@raises(NotInvitationPartyError, InvitationNotFoundError, InvitationNotPendingError)
def cancel_invitation(request, invitation_id: str, body: JsonBody[EmptyIn]):
    invitation = invitation_service.cancel_invitation(
        user=request.auth, invitation_id=invitation_id
    )
    return {"invitation": invitation_to_json(invitation)}
