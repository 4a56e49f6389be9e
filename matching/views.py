"""Matching endpoints (API.md "Matching") and the profile update."""

from django.conf import settings
from django.http import JsonResponse

from core import ratelimit
from core.http import json_endpoint, read_json
from matching import selectors
from matching.errors import NotMatchedError, UserNotFoundError
from matching.serializers import invitation_to_json, serialize_mentee, serialize_mentor
from matching.services import invitations as invitation_service
from matching.services import matches
from matching.services.repair import repair_if_stale
from users.models import Role
from users.serializers import user_to_json
from users.services import PROFILE_TYPES, update_profile


@json_endpoint("GET", roles={Role.MENTEE})
def get_mentor_matches(request):
    ranked = selectors.ranked_matches(mentee=request.user)
    payload = [serialize_mentor(mentor, score) for mentor, score in ranked]
    return JsonResponse({"matches": payload, "total": len(payload)})


rematch = get_mentor_matches


@json_endpoint("POST", roles={Role.MENTEE})
def select_mentor(request):
    body = read_json(request, required={"mentor_email": str})
    mentor = matches.select_mentor(mentee=request.user, mentor_email=body["mentor_email"])
    return JsonResponse(
        {
            "success": True,
            "message": f"You are now matched with {mentor.email}.",
            "mentor": serialize_mentor(mentor),
        }
    )


@json_endpoint("GET", roles={Role.MENTEE})
def get_my_mentor(request):
    if repair_if_stale(mentee_emails=[request.user.email]):
        request.user.refresh_from_db()
    if not request.user.isMatched or not request.user.matchedMentorEmail:
        raise NotMatchedError()
    mentor = selectors.get_user_by_email(request.user.matchedMentorEmail)
    if mentor is None:
        raise UserNotFoundError("Your mentor's account no longer exists.")
    return JsonResponse({"mentor": serialize_mentor(mentor)})


@json_endpoint("GET", roles={Role.MENTOR})
def get_my_mentees(request):
    if repair_if_stale(mentee_emails=list(request.user.current_mentees)):
        request.user.refresh_from_db()
    mentees = [serialize_mentee(m) for m in selectors.mentees_of(mentor=request.user)]
    return JsonResponse({"mentees": mentees, "total": len(mentees)})


@json_endpoint("POST", roles={Role.MENTEE, Role.MENTOR})
def unmatch(request):
    if request.user.role == Role.MENTEE:
        body = read_json(request, required={"confirmation": str, "mentor_email": str})
        matches.mentee_unmatch(
            mentee=request.user,
            mentor_email=body["mentor_email"],
            confirmation=body["confirmation"],
        )
    else:
        body = read_json(request, required={"confirmation": str, "mentee_email": str})
        matches.mentor_unmatch(
            mentor=request.user,
            mentee_email=body["mentee_email"],
            confirmation=body["confirmation"],
        )
    return JsonResponse({"success": True, "message": "Successfully unmatched."})


@json_endpoint("PUT")
def update_profile_view(request):
    body = read_json(request, optional=PROFILE_TYPES)
    user = update_profile(user=request.user, changes=body)
    return JsonResponse({"user": user_to_json(user)})


@json_endpoint("GET", "POST")
def invitations(request):
    if request.method == "POST":
        body = read_json(request, required={"mentor_email": str, "mentee_email": str})
        user_key = str(request.user.pk)
        ratelimit.limit("invitation-create", user_key, settings.INVITATION_CREATES_PER_USER)
        invitation = invitation_service.create_invitation(
            creator=request.user,
            mentor_email=body["mentor_email"],
            mentee_email=body["mentee_email"],
        )
        return JsonResponse({"invitation": invitation_to_json(invitation)}, status=201)
    found = invitation_service.list_invitations(user=request.user)
    return JsonResponse({"invitations": [invitation_to_json(i) for i in found]})


@json_endpoint("POST", roles={Role.MENTEE, Role.MENTOR})
def respond_invitation(request, invitation_id: str):
    body = read_json(request, required={"accept": bool})
    invitation = invitation_service.respond_invitation(
        user=request.user, invitation_id=invitation_id, accept=body["accept"]
    )
    return JsonResponse({"invitation": invitation_to_json(invitation)})


@json_endpoint("POST")
def cancel_invitation(request, invitation_id: str):
    read_json(request)
    invitation = invitation_service.cancel_invitation(
        user=request.user, invitation_id=invitation_id
    )
    return JsonResponse({"invitation": invitation_to_json(invitation)})
