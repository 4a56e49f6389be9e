"""The match list is rendered by core.api.validated_json: the JSON ninja would send for the
same payload, checked by the same schema, and a payload the schema refuses is a JSON 500."""

import json
from http import HTTPStatus

import pytest
from ninja.operation import ResponseObject
from ninja.responses import NinjaJSONEncoder

from core.api import validated_json
from core.tests.test_openapi import _response_schema, validate
from matching import api as matching_api
from matching.schemas import MatchList
from matching.tests.factories import scorable_mentee, scorable_mentor

pytestmark = pytest.mark.django_db


def _ninja_json(payload: dict) -> str:
    """What ninja sends when the operation returns the dict (its Operation._result_to_response)."""
    operation = next(
        op
        for view in matching_api.router.path_operations.values()
        for op in view.operations
        if op.view_func is matching_api.get_mentor_matches
    )
    wrapper = operation.response_models[200]
    validated = wrapper.model_validate(ResponseObject(payload), context={"response_status": 200})
    return json.dumps(validated.model_dump()["response"], cls=NinjaJSONEncoder)


def _mentor(index: int, **fields) -> dict:
    return {
        "email": f"m{index}@example.edu",
        "name": "Zoë Ødegård" if index % 2 else "Not provided",
        "major": ["Computer Science", "数学"],
        "minor": [],
        "year": [1, "5+", None][index % 3],
        "hobbies": 'chess \u2014 and "quotes"',
        "clubs": "",
        "goals": "line\nbreak",
        "specialCategories": ["firstgen"] if index % 2 else [],
        "available_slots": index % 3,
        "score": [87.25, 50.0, 0.0, 100.0][index % 4],
        "breakdown": {"text": 60.25, "year": 9.0, "categories": 18.0},
        **fields,
    }


def test_the_same_document_as_ninja_renders():
    payload = {"matches": [_mentor(i) for i in range(40)], "total": 40}
    response = validated_json(MatchList, payload)
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == json.loads(_ninja_json(payload)) == payload


def test_a_payload_the_schema_refuses_is_not_rendered():
    broken = _mentor(1)
    del broken["breakdown"]
    with pytest.raises(ValueError):  # pydantic's ValidationError
        validated_json(MatchList, {"matches": [broken], "total": 1})


def test_a_real_match_list_matches_the_spec(api):
    mentee = scorable_mentee()
    mentors = [scorable_mentor() for _ in range(3)]
    response = api(mentee).get("/matching/matches/")
    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert {m["email"] for m in body["matches"]} == {m.email for m in mentors}
    validate(body, _response_schema("/matching/matches/", "get", 200))
    head = api(mentee).request("HEAD", "/matching/matches/")
    assert head.status_code == HTTPStatus.OK and head.content == b""
    assert int(head["Content-Length"]) == len(response.content)


def test_a_serializer_bug_is_a_json_500(api, monkeypatch):
    mentee = scorable_mentee()
    scorable_mentor()
    monkeypatch.setattr(matching_api, "serialize_mentor", lambda mentor, score: {"email": 1})
    signed_in = api(mentee)
    signed_in.client.raise_request_exception = False
    response = signed_in.get("/matching/matches/")
    assert response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    assert response.json() == {"error": "Internal server error.", "code": "internal_error"}
