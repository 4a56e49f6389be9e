"""Preferences and rounds endpoints (API.md "Preferences and rounds"), in the
json_endpoint/read_json style until the API moves to django-ninja."""

from django.conf import settings
from django.http import JsonResponse

from config.errors import InvalidFieldError, MissingFieldError, UnknownFieldError, WrongRoleError
from config.http import check_type, json_endpoint, read_json
from matching.round_payloads import publish_to_json, round_to_json
from matching.services import preferences as preference_service
from matching.services import rounds as round_service
from users.models import Role


def _preferences_json(items: list[dict]) -> JsonResponse:
    return JsonResponse({"preferences": items, "max": settings.MAX_PREFERENCES})


@json_endpoint("GET", "PUT", roles={Role.MENTEE})
def preferences(request):
    if request.method == "PUT":
        body = read_json(request, required={"mentors": list})
        for position, email in enumerate(body["mentors"]):
            check_type(f"mentors[{position}]", email, str)
        items = preference_service.set_preferences(mentee=request.user, mentors=body["mentors"])
        return _preferences_json(items)
    return _preferences_json(preference_service.get_preferences(mentee=request.user))


def _require_admin(request) -> None:
    """The role check of the POSTs, made after the body is read so that an oversized body
    is a 413 for anyone (as on every other endpoint), as json_endpoint's roles= would say."""
    if request.user.role != Role.ADMIN:
        raise WrongRoleError("This endpoint is for ADMIN accounts.")


def _pairs(name: str, value) -> list[dict]:
    """A list of {mentee, mentor} objects with string emails and no other field."""
    check_type(name, value, list)
    for position, item in enumerate(value):
        where = f"{name}[{position}]"
        check_type(where, item, dict)
        unknown = sorted(set(item) - {"mentee", "mentor"})
        if unknown:
            raise UnknownFieldError(f"Unknown field(s) in {where}: {', '.join(unknown)}.")
        for key in ("mentee", "mentor"):
            if key not in item:
                raise MissingFieldError(f"The field '{where}.{key}' is required.")
            check_type(f"{where}.{key}", item[key], str)
    return value


@json_endpoint("GET", "POST")
def rounds(request):
    if request.method == "POST":
        body = read_json(
            request, required={"objective": str}, optional={"pinned": list, "excluded": list}
        )
        _require_admin(request)
        if body["objective"] not in round_service.OBJECTIVES:
            raise InvalidFieldError(
                f"The field 'objective' must be one of {', '.join(round_service.OBJECTIVES)}."
            )
        found = round_service.create_round(
            admin=request.user,
            objective=body["objective"],
            pinned=_pairs("pinned", body.get("pinned", [])),
            excluded=_pairs("excluded", body.get("excluded", [])),
        )
        return JsonResponse({"round": round_to_json(found)}, status=201)
    _require_admin(request)
    found = round_service.list_rounds()
    return JsonResponse({"rounds": [round_to_json(r, assignments=False) for r in found]})


@json_endpoint("GET", roles={Role.ADMIN})
def round_detail(request, round_id: str):
    return JsonResponse({"round": round_to_json(round_service.get_round(round_id))})


@json_endpoint("POST")
def publish_round(request, round_id: str):
    body = read_json(request, required={"as": str})
    _require_admin(request)
    if body["as"] not in round_service.MODES:
        raise InvalidFieldError(f"The field 'as' must be one of {', '.join(round_service.MODES)}.")
    result = round_service.publish_round(round_id=round_id, admin=request.user, mode=body["as"])
    return JsonResponse(publish_to_json(result))
