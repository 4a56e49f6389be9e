"""Preferences and rounds endpoints (API.md "Preferences and rounds"), a ninja Router added
in config/urls.py."""

from django.conf import settings
from ninja import Router, Status

from core.api import JsonBody, raises
from core.auth import BearerAuth
from matching.errors import (
    AlreadyPublishedError,
    BlacklistedError,
    DuplicatePreferenceError,
    InvalidRoundPairError,
    NotAMentorError,
    RoundNotFoundError,
    TooManyPreferencesError,
    UserNotFoundError,
)
from matching.round_payloads import publish_to_json, round_to_json
from matching.schemas_rounds import (
    Preferences,
    PreferencesIn,
    Published,
    PublishIn,
    RoundEnvelope,
    RoundIn,
    RoundList,
)
from matching.services import preferences as preference_service
from matching.services import rounds as round_service
from users.models import Role

router = Router(tags=["rounds"])
MENTEE = BearerAuth(roles={Role.MENTEE})
ADMIN = BearerAuth(roles={Role.ADMIN})


def _preferences(items: list[dict]) -> dict:
    return {"preferences": items, "max": settings.MAX_PREFERENCES}


@router.get("/preferences/", auth=MENTEE, response=Preferences, url_name="preferences")
def get_preferences(request):
    return _preferences(preference_service.get_preferences(mentee=request.auth))


@router.put("/preferences/", auth=MENTEE, response=Preferences, url_name="preferences_put")
@raises(
    TooManyPreferencesError,
    DuplicatePreferenceError,
    UserNotFoundError,
    NotAMentorError,
    BlacklistedError,
)
def put_preferences(request, body: JsonBody[PreferencesIn]):
    items = preference_service.set_preferences(mentee=request.auth, mentors=body.mentors)
    return _preferences(items)


@router.get("/rounds/", auth=ADMIN, response=RoundList, url_name="rounds")
def list_rounds(request):
    return {"rounds": [round_to_json(r, assignments=False) for r in round_service.list_rounds()]}


@router.post("/rounds/", auth=ADMIN, response={201: RoundEnvelope}, url_name="rounds_create")
@raises(InvalidRoundPairError)
def create_round(request, body: JsonBody[RoundIn]):
    found = round_service.create_round(
        admin=request.auth,
        objective=body.objective,
        pinned=[p.dict() for p in body.pinned],
        excluded=[p.dict() for p in body.excluded],
    )
    return Status(201, {"round": round_to_json(found)})


@router.get("/rounds/{round_id}/", auth=ADMIN, response=RoundEnvelope, url_name="round_detail")
@raises(RoundNotFoundError)
def get_round(request, round_id: str):
    return {"round": round_to_json(round_service.get_round(round_id))}


@router.post(
    "/rounds/{round_id}/publish/", auth=ADMIN, response=Published, url_name="round_publish"
)
@raises(RoundNotFoundError, AlreadyPublishedError)
def publish_round(request, round_id: str, body: JsonBody[PublishIn]):
    result = round_service.publish_round(round_id=round_id, admin=request.auth, mode=body.as_)
    return publish_to_json(result)
