"""docs/openapi.yaml stays true: every route documented, every documented route real, every
error code real and documented, and real responses validate against the documented schemas.

The schemas are checked with a small validator for the JSON Schema subset the spec uses
(no jsonschema dependency); it refuses keywords it does not know, so the spec cannot drift
into constructs these tests silently ignore.
"""

import importlib
import re
from http import HTTPStatus
from pathlib import Path

import pytest
import yaml
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver

from core.errors import AppError

ROOT = Path(__file__).resolve().parents[2]
SPEC = yaml.safe_load((ROOT / "docs" / "openapi.yaml").read_text())
API_MD = (ROOT / "docs" / "api.md").read_text()
HTTP_METHODS = {"get", "post", "put", "patch", "delete"}
SAMPLE_ID = "0" * 24  # a well-formed ObjectId for path parameters


# --- the URL configuration -------------------------------------------------------------


def _routes(patterns=None, prefix=""):
    """(spec path, view) for every concrete route, without the admin and the 404 catch-all."""
    for p in patterns if patterns is not None else get_resolver().url_patterns:
        route = str(p.pattern)
        if isinstance(p, URLResolver):
            if route.startswith("admin/"):
                continue
            yield from _routes(p.url_patterns, prefix + route)
        elif isinstance(p, URLPattern) and not route.startswith("^"):
            yield "/" + prefix + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route), p.callback


def _operations():
    """(path, method, operation) for every operation of the spec."""
    for path, item in SPEC["paths"].items():
        for method, op in item.items():
            if method in HTTP_METHODS:
                yield path, method, op


def _concrete(path: str) -> str:
    return re.sub(r"\{\w+\}", SAMPLE_ID, path)


# --- a validator for the JSON Schema subset the spec uses -------------------------------

_JSON_TYPES = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "null": type(None),
    "integer": int,
    "number": (int, float),
}
_KEYWORDS = {
    "$ref",
    "type",
    "enum",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "oneOf",
    "pattern",
    "format",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "maxItems",
}
_ANNOTATIONS = {"description", "title", "default"}
_FORMATS = {
    # What the API emits: UTC, milliseconds, Z (users/serializers.py iso()).
    "date-time": re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"),
    "email": re.compile(r"^[^@\s]+@[^@\s]+$"),
}


def _resolve(node: dict) -> dict:
    """Follow $ref (a JSON pointer into the spec); siblings of a $ref may only annotate."""
    while "$ref" in node:
        extra = set(node) - {"$ref"} - _ANNOTATIONS - {"summary"}
        assert not extra, f"{node['$ref']}: $ref siblings {extra} would be ignored"
        target = SPEC
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _is_type(value, name: str) -> bool:
    if name in ("integer", "number") and isinstance(value, bool):
        return False
    return isinstance(value, _JSON_TYPES[name])


def validate(value, schema: dict, where: str = "$") -> None:
    """Raise AssertionError unless value is valid against schema."""
    schema = _resolve(schema)
    unknown = set(schema) - _KEYWORDS - _ANNOTATIONS
    assert not unknown, f"{where}: the validator does not support {unknown}"
    if "oneOf" in schema:
        matches = 0
        for option in schema["oneOf"]:
            try:
                validate(value, option, where)
                matches += 1
            except AssertionError:
                pass
        assert matches == 1, f"{where}: {value!r} matches {matches} oneOf options"
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        assert any(_is_type(value, t) for t in types), f"{where}: {value!r} is not {types}"
    if "enum" in schema:
        assert any(value == e and type(value) is type(e) for e in schema["enum"]), (
            f"{where}: {value!r} not in {schema['enum']}"
        )
    if isinstance(value, str):
        if "pattern" in schema:
            assert re.search(schema["pattern"], value), f"{where}: {value!r} !~ {schema['pattern']}"
        if "format" in schema:
            assert _FORMATS[schema["format"]].match(value), (
                f"{where}: {value!r} not {schema['format']}"
            )
        assert len(value) >= schema.get("minLength", 0), f"{where}: too short"
        assert len(value) <= schema.get("maxLength", len(value)), f"{where}: too long"
    if _is_type(value, "number"):
        assert value >= schema.get("minimum", value), f"{where}: {value} < minimum"
        assert value <= schema.get("maximum", value), f"{where}: {value} > maximum"
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
    if isinstance(value, list):
        assert len(value) <= schema.get("maxItems", len(value)), f"{where}: too many items"
        for i, item in enumerate(value):
            validate(item, schema.get("items", {}), f"{where}[{i}]")


def _response(path: str, method: str, status: int) -> tuple[dict, dict]:
    """(the operation's response object with its own description, the resolved one)."""
    raw = SPEC["paths"][path][method]["responses"][str(status)]
    return raw, _resolve(raw)


def _response_schema(path: str, method: str, status: int) -> dict:
    return _response(path, method, status)[1]["content"]["application/json"]["schema"]


def _request_schema(path: str, method: str) -> dict:
    return SPEC["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]


def _codes(text: str) -> set[str]:
    return set(re.findall(r"`([a-z_]+)`", text))


def _documented_codes(path: str, method: str, status: int) -> set[str]:
    raw, resolved = _response(path, method, status)
    return _codes(raw.get("description") or resolved["description"])


def check_error(response, path: str, method: str, code: str) -> None:
    """A real error response: documented status, listed code, Error body."""
    status = response.status_code
    assert str(status) in SPEC["paths"][path][method]["responses"], (path, method, status)
    assert response.json()["code"] == code, response.json()
    assert code in _documented_codes(path, method, status), (path, method, status, code)
    validate(response.json(), _response_schema(path, method, status))


# --- the error classes of the code -----------------------------------------------------


def _error_codes() -> set[tuple[int, str]]:
    """(status, code) of every AppError subclass of every installed app's errors module."""
    for app in apps.get_app_configs():
        try:
            importlib.import_module(f"{app.name}.errors")
        except ModuleNotFoundError as exc:
            if exc.name != f"{app.name}.errors":
                raise
    found, todo = set(), list(AppError.__subclasses__())
    while todo:
        cls = todo.pop()
        found.add((cls.status, cls.code))
        todo.extend(cls.__subclasses__())
    return found


# Base classes that no endpoint raises as such (the catch-all 404 is `not_found`, described
# in info.description); they are in docs/api.md but not listed per operation.
GENERIC_CODES = {"forbidden", "conflict", "not_found"}


# --- tests -----------------------------------------------------------------------------


def test_spec_is_openapi_3_1_with_bearer_auth():
    assert SPEC["openapi"].startswith("3.1.")
    assert SPEC["info"]["title"] and SPEC["info"]["version"]
    scheme = SPEC["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"], scheme["bearerFormat"]) == ("http", "bearer", "JWT")
    assert SPEC["security"] == [{"bearerAuth": []}]


def test_every_route_is_documented_and_every_documented_route_exists():
    routes = dict(_routes())

    assert set(routes) == set(SPEC["paths"])
    for path, view in routes.items():
        documented = {m.upper() for m in SPEC["paths"][path] if m in HTTP_METHODS}
        assert documented == set(view.allowed_methods), path


def test_every_ref_resolves_and_every_schema_uses_known_keywords():
    def walk(node, where):
        if isinstance(node, dict):
            if "$ref" in node:
                _resolve(node)
            for key, value in node.items():
                walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{where}/{i}")

    walk(SPEC, "#")

    # A comma inside an unquoted flow-mapping value ("{description: a, b}") silently makes
    # a key "b" with a null value.
    def nulls(node, where):
        if isinstance(node, dict):
            for key, value in node.items():
                assert value is not None, f"{where}/{key}: null (an unquoted comma?)"
                nulls(value, f"{where}/{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                if value is not None:  # enum: [..., null] is fine
                    nulls(value, f"{where}/{i}")

    nulls(SPEC, "#")
    for name, schema in SPEC["components"]["schemas"].items():
        assert not set(schema) - _KEYWORDS - _ANNOTATIONS, name


def test_request_bodies_are_closed_objects():
    for path, method, op in _operations():
        if "requestBody" not in op:
            continue
        schema = _resolve(_request_schema(path, method))
        for option in schema.get("oneOf", [schema]):
            option = _resolve(option)
            assert option["type"] == "object", (path, method)
            assert option["additionalProperties"] is False, (path, method)
            assert set(option.get("required", [])) <= set(option["properties"]), (path, method)


def test_every_error_response_uses_the_error_schema_and_lists_real_codes():
    known = _error_codes()
    for path, method, op in _operations():
        statuses = {int(s) for s in op["responses"]}
        assert 405 in statuses, (path, method)
        if op.get("security") != []:
            assert 401 in statuses, (path, method)
        for status in statuses:
            if status < 400:
                continue
            assert _response_schema(path, method, status) == {"$ref": "#/components/schemas/Error"}
            codes = _documented_codes(path, method, status)
            assert codes, f"{method} {path} {status}: no codes listed"
            unknown = {c for c in codes if (status, c) not in known}
            assert not unknown, f"{method} {path} {status}: {unknown} are not {status} codes"


def test_every_error_code_is_in_the_spec_and_in_api_md():
    known = _error_codes()
    in_spec = {
        (status, code)
        for path, method, op in _operations()
        for status in map(int, op["responses"])
        if status >= 400
        for code in _documented_codes(path, method, status)
    }
    missing = {pair for pair in known if pair[1] not in GENERIC_CODES} - in_spec
    assert not missing, f"error codes no operation lists: {sorted(missing)}"

    table = {
        (int(status), code)
        for status, cell in re.findall(r"^\| (\d{3}) \| (.+?) \|", API_MD, re.MULTILINE)
        for code in _codes(cell)
    }
    assert known <= table, f"missing from the docs/api.md error table: {sorted(known - table)}"


def test_validator_rejects_what_it_should():
    error = {"$ref": "#/components/schemas/Error"}
    validate({"error": "x", "code": "y"}, error)
    with pytest.raises(AssertionError):
        validate({"error": "x"}, error)
    with pytest.raises(AssertionError):
        validate({"error": "x", "code": "y", "extra": 1}, error)
    with pytest.raises(AssertionError):
        validate({"status": "down"}, _response_schema("/health/", "get", 200))
    year = {"$ref": "#/components/schemas/Year"}
    for good in (1, 5, "5+", None):
        validate(good, year)
    for bad in (0, 6, "3", True, 2.0):
        with pytest.raises(AssertionError):
            validate(bad, year)
    with pytest.raises(AssertionError):
        validate("2026-11-23T00:10:47+00:00", {"type": "string", "format": "date-time"})
    with pytest.raises(AssertionError):
        validate("x", {"type": "string", "const": "x"})  # unsupported keyword


@pytest.mark.django_db
def test_anonymous_requests_get_401_exactly_where_the_spec_requires_a_token(api):
    for path, method, op in _operations():
        response = api().request(method.upper(), _concrete(path))
        assert str(response.status_code) in op["responses"], (path, method, response.status_code)
        if op.get("security") == []:
            assert response.status_code != HTTPStatus.UNAUTHORIZED, (path, method)
        else:
            check_error(response, path, method, "unauthorized")


def test_wrong_method_is_405_with_the_documented_methods_in_allow(api):
    for path, item in SPEC["paths"].items():
        response = api().request("PATCH", _concrete(path))
        documented = {m.upper() for m in item if m in HTTP_METHODS}
        if "GET" in documented:  # HEAD is implicit wherever GET is (RFC 9110)
            documented.add("HEAD")
        assert sorted(response["Allow"].split(", ")) == sorted(documented), path
        for method in item:
            if method in HTTP_METHODS:
                check_error(response, path, method, "method_not_allowed")


@pytest.mark.django_db
def test_bodies_over_1_mib_are_413_where_documented(api, mentee):
    oversized = b'{"x": "' + b"x" * (1024 * 1024) + b'"}'
    for path, method, op in _operations():
        if "requestBody" not in op:
            continue
        response = api(mentee).request(method.upper(), _concrete(path), raw=oversized)
        check_error(response, path, method, "payload_too_large")


@pytest.mark.django_db
def test_real_responses_match_the_spec(api):
    body = {"email": "Spec@Example.edu", "password": "a-long-enough-passphrase", "role": "MENTOR"}
    validate(body, _request_schema("/auth/register/", "post"))
    register = api().post("/auth/register/", body)
    assert register.status_code == HTTPStatus.CREATED
    validate(register.json(), _response_schema("/auth/register/", "post", 201))
    check_error(api().post("/auth/register/", body), "/auth/register/", "post", "email_taken")
    check_error(
        api().post("/auth/register/", {**body, "is_staff": True}),
        "/auth/register/",
        "post",
        "unknown_field",
    )
    check_error(
        api().post("/auth/login/", {"email": body["email"], "password": "wrong-passphrase"}),
        "/auth/login/",
        "post",
        "invalid_credentials",
    )

    bearer = {"HTTP_AUTHORIZATION": f"Bearer {register.json()['access']}"}
    me = api().get("/users/me/", **bearer)
    assert me.status_code == HTTPStatus.OK
    validate(me.json(), _response_schema("/users/me/", "get", 200))

    check_error(api().get("/users/me/"), "/users/me/", "get", "unauthorized")
    check_error(
        api().get("/users/me/", HTTP_AUTHORIZATION="Bearer nonsense"),
        "/users/me/",
        "get",
        "invalid_token",
    )
    check_error(
        api().post("/users/me/restore/", **bearer),
        "/users/me/restore/",
        "post",
        "not_pending_deletion",
    )
    check_error(
        api().get("/matching/matches/", **bearer), "/matching/matches/", "get", "wrong_role"
    )

    deleted = api().delete("/users/me/", **bearer)
    assert deleted.status_code == HTTPStatus.ACCEPTED
    validate(deleted.json(), _response_schema("/users/me/", "delete", 202))
    restored = api().post("/users/me/restore/", **bearer)
    validate(restored.json(), _response_schema("/users/me/restore/", "post", 200))

    refreshed = api().post("/auth/refresh/", {"refresh": register.json()["refresh"]})
    validate(refreshed.json(), _response_schema("/auth/refresh/", "post", 200))
    logout = api().post("/auth/logout/", {"refresh": register.json()["refresh"]}, **bearer)
    assert logout.status_code == HTTPStatus.NO_CONTENT
    check_error(api().get("/users/me/", **bearer), "/users/me/", "get", "invalid_token")

    from matching.tests.factories import scorable_mentee, scorable_mentor

    mentee, mentor = scorable_mentee(), scorable_mentor()
    matches = api(mentee).get("/matching/matches/")
    assert matches.json()["total"] == 1
    validate(matches.json(), _response_schema("/matching/matches/", "get", 200))
    check_error(
        api(mentee).post("/matching/select/", {"mentor_email": "nobody@example.edu"}),
        "/matching/select/",
        "post",
        "user_not_found",
    )
    selected = api(mentee).post("/matching/select/", {"mentor_email": mentor.email})
    validate(selected.json(), _response_schema("/matching/select/", "post", 200))
    validate(
        api(mentee).get("/matching/my-mentor/").json(),
        _response_schema("/matching/my-mentor/", "get", 200),
    )
    roster = api(mentor).get("/matching/my-mentees/")
    validate(roster.json(), _response_schema("/matching/my-mentees/", "get", 200))
    changes = {"clubs": "Chess club", "year": "5+", "is_seeking_mentor": True}
    validate(changes, _request_schema("/matching/profile/", "put"))
    profile = api(mentee).put("/matching/profile/", changes)
    validate(profile.json(), _response_schema("/matching/profile/", "put", 200))
    assert profile.json()["user"]["year"] == "5+"

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
    check_error(
        api(mentor).post("/chat/read/", {"with": "stranger@example.edu"}),
        "/chat/read/",
        "post",
        "not_matched",
    )

    unmatch = {"confirmation": "I would like to unmatch", "mentor_email": mentor.email}
    validate(unmatch, _request_schema("/matching/unmatch/", "post"))
    unmatched = api(mentee).post("/matching/unmatch/", unmatch)
    validate(unmatched.json(), _response_schema("/matching/unmatch/", "post", 200))
    check_error(
        api(mentee).get("/matching/my-mentor/"), "/matching/my-mentor/", "get", "not_matched"
    )

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
    check_error(
        api(other_mentee).post(
            path.format(invitation_id=invited.json()["invitation"]["id"]), {"accept": True}
        ),
        path,
        "post",
        "invitation_not_pending",
    )
    cancel = "/matching/invitations/{invitation_id}/cancel/"
    check_error(
        api(mentor).post(cancel.format(invitation_id="nope")),
        cancel,
        "post",
        "invitation_not_found",
    )

    health = api().get("/health/")
    validate(health.json(), _response_schema("/health/", "get", 200))
