"""docs/openapi.json is the spec the code defines (`manage.py export_openapi`), and it stays
true: every route documented, every error code real and documented (also in docs/api.md's
table, both ways), and real responses validate against its schemas (the jsonschema library,
JSON Schema 2020-12 as OpenAPI 3.1 uses it).
"""

import importlib
import json
import re
from http import HTTPStatus
from io import StringIO
from pathlib import Path

import jsonschema
import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.urls import URLPattern, URLResolver, get_resolver

from core.api import spec_text
from core.errors import AppError

ROOT = Path(__file__).resolve().parents[2]
SPEC_FILE = ROOT / "docs" / "openapi.json"
SPEC = json.loads(SPEC_FILE.read_text())
API_MD = (ROOT / "docs" / "api.md").read_text()
HTTP_METHODS = {"get", "post", "put", "patch", "delete"}
SAMPLE_ID = "0" * 24  # a well-formed ObjectId for path parameters
# Routes that are not API operations: the spec itself and Swagger UI's page.
DOCS_ROUTES = {"/api/openapi.json", "/api/docs/"}


# --- the URL configuration and the spec ------------------------------------------------


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


def validate(value, schema: dict) -> None:
    """jsonschema against schema, its $refs ("#/components/...") resolved in the spec."""
    jsonschema.Draft202012Validator({**schema, "components": SPEC["components"]}).validate(value)


def _response_schema(path: str, method: str, status: int) -> dict:
    response = SPEC["paths"][path][method]["responses"][str(status)]
    return response["content"]["application/json"]["schema"]


def _request_schema(path: str, method: str) -> dict:
    return SPEC["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]


def _resolve(schema: dict) -> dict:
    while "$ref" in schema:
        schema = SPEC["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _codes(text: str) -> set[str]:
    return set(re.findall(r"`([a-z_]+)`", text))


def _documented_codes(path: str, method: str, status: int) -> set[str]:
    return _codes(SPEC["paths"][path][method]["responses"][str(status)]["description"])


def check_error(response, path: str, method: str, code: str) -> None:
    """A real error response: documented status, listed code, Error body."""
    status = response.status_code
    assert str(status) in SPEC["paths"][path][method]["responses"], (path, method, status)
    assert response.json()["code"] == code, response.json()
    assert code in _documented_codes(path, method, status), (path, method, status, code)
    validate(response.json(), _response_schema(path, method, status))


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


# Base classes that no operation raises as such (the catch-all 404 is `not_found`); they are
# in docs/api.md but not listed per operation.
GENERIC_CODES = {"forbidden", "conflict", "not_found"}
# In docs/api.md's table without an AppError class: the JSON answer to a bug.
NOT_APP_ERRORS = {(500, "internal_error")}


# --- tests -----------------------------------------------------------------------------


def test_committed_spec_is_the_spec_of_the_code():
    assert SPEC_FILE.read_text() == spec_text(), "run `python manage.py export_openapi`"


def test_export_command_writes_the_spec_and_check_fails_on_a_stale_file(tmp_path):
    target = tmp_path / "openapi.json"
    call_command("export_openapi", "--output", str(target), stdout=StringIO())
    assert target.read_text() == spec_text()
    call_command("export_openapi", "--output", str(target), "--check", stdout=StringIO())

    target.write_text(target.read_text().replace("/auth/login/", "/auth/signin/"))
    with pytest.raises(CommandError):
        call_command("export_openapi", "--output", str(target), "--check", stdout=StringIO())


def test_spec_is_openapi_3_1_with_bearer_auth():
    assert SPEC["openapi"].startswith("3.1.")
    assert SPEC["info"]["title"] and SPEC["info"]["version"]
    scheme = SPEC["components"]["securitySchemes"]["BearerAuth"]
    assert (scheme["type"], scheme["scheme"], scheme["bearerFormat"]) == ("http", "bearer", "JWT")


def test_every_route_is_documented_and_every_documented_route_exists():
    routes = {path: view for path, view in _routes() if path not in DOCS_ROUTES}

    assert set(routes) == set(SPEC["paths"])
    for path, view in routes.items():
        documented = {m.upper() for m in SPEC["paths"][path] if m in HTTP_METHODS}
        assert documented == set(view.allowed_methods), path


def test_every_component_schema_is_valid_json_schema():
    for name, schema in SPEC["components"]["schemas"].items():
        jsonschema.Draft202012Validator.check_schema(schema)
        assert name


def test_request_bodies_are_closed_objects():
    for path, method, op in _operations():
        if "requestBody" not in op:
            continue
        schema = _resolve(_request_schema(path, method))
        assert schema["type"] == "object", (path, method)
        assert schema["additionalProperties"] is False, (path, method)
        assert set(schema.get("required", [])) <= set(schema["properties"]), (path, method)


def test_year_is_a_one_of_integer_1_to_5_string_5_plus_or_null():
    year = _resolve({"$ref": "#/components/schemas/User"})["properties"]["year"]
    assert [option["type"] for option in year["oneOf"]] == ["integer", "string", "null"]
    for good in (1, 5, "5+", None):
        validate(good, year)
    for bad in (0, 6, "3", True, 2.5, "5"):
        with pytest.raises(jsonschema.ValidationError):
            validate(bad, year)


def test_every_error_response_uses_the_error_schema_and_lists_real_codes():
    known = _error_codes()
    for path, method, op in _operations():
        statuses = {int(s) for s in op["responses"]}
        assert 405 in statuses, (path, method)
        if op.get("security"):
            assert 401 in statuses, (path, method)
        for status in statuses:
            if status < 400:
                continue
            assert _response_schema(path, method, status) == {"$ref": "#/components/schemas/Error"}
            codes = _documented_codes(path, method, status)
            assert codes, f"{method} {path} {status}: no codes listed"
            unknown = {c for c in codes if (status, c) not in known}
            assert not unknown, f"{method} {path} {status}: {unknown} are not {status} codes"


def test_every_error_code_is_in_the_spec_and_api_md_lists_exactly_the_codes_of_the_code():
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
    stale = table - known - NOT_APP_ERRORS
    assert not stale, f"in the docs/api.md error table but not in the code: {sorted(stale)}"


def test_validator_rejects_what_it_should():
    error = {"$ref": "#/components/schemas/Error"}
    validate({"error": "x", "code": "y"}, error)
    with pytest.raises(jsonschema.ValidationError):
        validate({"error": "x"}, error)
    with pytest.raises(jsonschema.ValidationError):
        validate({"status": 1}, _response_schema("/health/", "get", 200))
    with pytest.raises(jsonschema.ValidationError):
        validate({"email": "a@b.c", "extra": 1}, _request_schema("/auth/login/", "post"))


@pytest.mark.django_db
def test_anonymous_requests_get_401_exactly_where_the_spec_requires_a_token(api):
    for path, method, op in _operations():
        response = api().request(method.upper(), _concrete(path))
        assert str(response.status_code) in op["responses"], (path, method, response.status_code)
        if not op.get("security"):
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
def test_head_is_get_without_a_body_wherever_get_is(api, mentee):
    for path, item in SPEC["paths"].items():
        if "get" not in item or "{" in path:
            continue
        get, head = api(mentee).get(path), api(mentee).request("HEAD", path)
        assert head.status_code == get.status_code, path
        assert head.content == b"", path
        assert head["Content-Length"] == str(len(get.content)), path


@pytest.mark.django_db
def test_bodies_over_1_mib_are_413_where_documented(api, mentee, admin_user):
    oversized = b'{"x": "' + b"x" * (1024 * 1024) + b'"}'
    for path, method, op in _operations():
        if "requestBody" not in op:
            continue
        # The role check comes before the body is read: ADMIN-only operations (rounds) are
        # sent by an admin, every other one by a mentee.
        caller = admin_user if path.startswith("/matching/rounds/") else mentee
        response = api(caller).request(method.upper(), _concrete(path), raw=oversized)
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
