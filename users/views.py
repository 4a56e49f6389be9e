"""Auth and account endpoints (API.md "Users and auth")."""

from http import HTTPStatus

from django.http import HttpResponse, JsonResponse

from config.http import json_endpoint, read_json
from users import services, tokens
from users.serializers import deletion_scheduled_for, iso, user_to_json


def _session_payload(user, pair: dict[str, str]) -> dict:
    return {"user": user_to_json(user), "access": pair["access"], "refresh": pair["refresh"]}


@json_endpoint("POST", auth=False)
def register(request):
    body = read_json(
        request,
        required={"email": str, "password": str, "role": str},
        optional={"firstName": str, "lastName": str},
    )
    user, pair = services.register_user(
        email=body["email"],
        password=body["password"],
        role=body["role"],
        first_name=body.get("firstName", ""),
        last_name=body.get("lastName", ""),
    )
    return JsonResponse(_session_payload(user, pair), status=HTTPStatus.CREATED)


@json_endpoint("POST", auth=False)
def login(request):
    body = read_json(request, required={"email": str, "password": str})
    user, pair = services.login_user(email=body["email"], password=body["password"])
    return JsonResponse(_session_payload(user, pair))


@json_endpoint("POST", auth=False)
def refresh(request):
    body = read_json(request, required={"refresh": str})
    return JsonResponse({"access": tokens.refresh_access(body["refresh"])})


@json_endpoint("POST", allow_pending_deletion=True)
def logout(request):
    body = read_json(request, required={"refresh": str})
    tokens.revoke_refresh(body["refresh"], user=request.user)
    return HttpResponse(status=HTTPStatus.NO_CONTENT)


@json_endpoint("GET", "DELETE", allow_pending_deletion=True)
def me(request):
    if request.method == "DELETE":
        user = services.request_account_deletion(user=request.user)
        return JsonResponse(
            {"deletion_scheduled_for": iso(deletion_scheduled_for(user))},
            status=HTTPStatus.ACCEPTED,
        )
    return JsonResponse({"user": user_to_json(request.user)})


@json_endpoint("POST", allow_pending_deletion=True)
def restore(request):
    read_json(request)
    user = services.restore_account(user=request.user)
    return JsonResponse({"user": user_to_json(user)})
