"""docs/openapi.yaml stays true: every route documented, every documented route real,
and real responses validate against the documented schemas."""

import re
from http import HTTPStatus
from pathlib import Path

import pytest
import yaml
from django.urls import URLPattern, URLResolver, get_resolver

SPEC = yaml.safe_load((Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml").read_text())
HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


def _routes(patterns=None, prefix=""):
    """(path, view) for every concrete route, without the admin and the 404 catch-all."""
    for p in patterns if patterns is not None else get_resolver().url_patterns:
        route = str(p.pattern)
        if isinstance(p, URLResolver):
            if route.startswith("admin/"):
                continue
            yield from _routes(p.url_patterns, prefix + route)
        elif isinstance(p, URLPattern) and not route.startswith("^"):
            yield "/" + prefix + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route), p.callback


def _resolve(schema: dict) -> dict:
    while "$ref" in schema:
        node = SPEC
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        schema = node
    return schema


_JSON_TYPES = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "null": type(None),
    "integer": int,
    "number": (int, float),
}


def validate(value, schema: dict, where: str = "$") -> None:
    """A small validator for the JSON Schema subset the spec uses."""
    schema = _resolve(schema)
    if "oneOf" in schema:
        matches = 0
        for option in schema["oneOf"]:
            try:
                validate(value, option, where)
                matches += 1
            except AssertionError:
                pass
        assert matches == 1, f"{where}: {value!r} matches {matches} oneOf options"
        return
    types = schema.get("type")
    if types is not None:
        types = types if isinstance(types, list) else [types]
        ok = any(
            isinstance(value, _JSON_TYPES[t])
            and not (t in ("integer", "number") and isinstance(value, bool))
            for t in types
        )
        assert ok, f"{where}: {value!r} is not {types}"
    if "enum" in schema:
        assert value in schema["enum"], f"{where}: {value!r} not in {schema['enum']}"
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for key in schema.get("required", []):
            assert key in value, f"{where}: missing {key}"
        if schema.get("additionalProperties") is False:
            extra = set(value) - set(props)
            assert not extra, f"{where}: undocumented keys {extra}"
        for key, sub in props.items():
            if key in value:
                validate(value[key], sub, f"{where}.{key}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            validate(item, schema["items"], f"{where}[{i}]")


def _response_schema(path: str, method: str, status: int) -> dict:
    response = _resolve(SPEC["paths"][path][method]["responses"][str(status)])
    return response["content"]["application/json"]["schema"]


def test_spec_is_openapi_3_1():
    assert SPEC["openapi"].startswith("3.1")


def test_every_route_is_documented_and_every_documented_route_exists():
    routes = dict(_routes())

    assert set(routes) == set(SPEC["paths"])
    for path, view in routes.items():
        documented = {m.upper() for m in SPEC["paths"][path] if m in HTTP_METHODS}
        assert documented == set(view.allowed_methods), path


def test_validator_rejects_what_it_should():
    with pytest.raises(AssertionError):
        validate({"error": "x"}, {"$ref": "#/components/schemas/Error"})
    with pytest.raises(AssertionError):
        validate({"error": "x", "code": "y", "extra": 1}, {"$ref": "#/components/schemas/Error"})
    with pytest.raises(AssertionError):
        validate({"status": "down"}, _response_schema("/health/", "get", 200))


@pytest.mark.django_db
def test_real_responses_match_the_spec(api):
    body = {"email": "spec@example.edu", "password": "a-long-enough-passphrase", "role": "MENTOR"}
    register = api().post("/auth/register/", body)
    assert register.status_code == HTTPStatus.CREATED
    validate(register.json(), _response_schema("/auth/register/", "post", 201))

    bearer = {"HTTP_AUTHORIZATION": f"Bearer {register.json()['access']}"}
    me = api().get("/users/me/", **bearer)
    validate(me.json(), _response_schema("/users/me/", "get", 200))

    deleted = api().delete("/users/me/", **bearer)
    validate(deleted.json(), _response_schema("/users/me/", "delete", 202))

    unauthorized = api().get("/users/me/")
    validate(unauthorized.json(), _response_schema("/users/me/", "get", 401))

    refreshed = api().post("/auth/refresh/", {"refresh": register.json()["refresh"]})
    validate(refreshed.json(), _response_schema("/auth/refresh/", "post", 200))

    from matching.tests.factories import scorable_mentee, scorable_mentor

    mentee, mentor = scorable_mentee(), scorable_mentor()
    matches = api(mentee).get("/matching/matches/")
    assert matches.json()["total"] == 1
    validate(matches.json(), _response_schema("/matching/matches/", "get", 200))
    selected = api(mentee).post("/matching/select/", {"mentor_email": mentor.email})
    validate(selected.json(), _response_schema("/matching/select/", "post", 200))
    roster = api(mentor).get("/matching/my-mentees/")
    validate(roster.json(), _response_schema("/matching/my-mentees/", "get", 200))
    profile = api(mentee).put("/matching/profile/", {"clubs": "Chess club"})
    validate(profile.json(), _response_schema("/matching/profile/", "put", 200))

    sent = api(mentee).post("/chat/messages/", {"to": mentor.email, "body": "hello"})
    validate(sent.json(), _response_schema("/chat/messages/", "post", 201))
    page = api(mentor).get("/chat/messages/", QUERY_STRING=f"with={mentee.email}")
    validate(page.json(), _response_schema("/chat/messages/", "get", 200))
    convos = api(mentor).get("/chat/conversations/")
    assert convos.json()["conversations"][0]["last_message"]["body"] == "hello"
    validate(convos.json(), _response_schema("/chat/conversations/", "get", 200))
    validate(
        api(mentee).get("/chat/conversations/").json(),
        _response_schema("/chat/conversations/", "get", 200),
    )
    read = api(mentor).post("/chat/read/", {"with": mentee.email})
    validate(read.json(), _response_schema("/chat/read/", "post", 200))

    other_mentee = scorable_mentee()
    invited = api(mentor).post(
        "/matching/invitations/", {"mentor_email": mentor.email, "mentee_email": other_mentee.email}
    )
    assert invited.status_code == HTTPStatus.CREATED
    validate(invited.json(), _response_schema("/matching/invitations/", "post", 201))
    listed = api(other_mentee).get("/matching/invitations/")
    validate(listed.json(), _response_schema("/matching/invitations/", "get", 200))
    path = "/matching/invitations/{invitation_id}/respond/"
    answered = api(other_mentee).post(
        path.format(invitation_id=invited.json()["invitation"]["id"]), {"accept": True}
    )
    validate(answered.json(), _response_schema(path, "post", 200))

    health = api().get("/health/")
    validate(health.json(), _response_schema("/health/", "get", 200))
