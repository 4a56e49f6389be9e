"""Injection and bad input across every endpoint that reads a body or a query string.

For each operation, a valid request is mutated one field at a time: MongoDB operator
objects ({"$ne": null}, {"$gt": ""}), lists and other wrong types where a string belongs,
huge strings, strings with unpaired surrogates, look-alike unicode addresses, missing and
unknown fields, bodies that are not JSON objects, and bodies over 1 MiB. Every variant must
be answered with a JSON 4xx, and the whole database, read back collection by collection,
must be exactly as before.
"""

import json
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from django.conf import settings
from django.db import connection

from chat.models import Message
from matching.models import Invitation, Round
from matching.services.invitations import create_invitation
from matching.services.matches import UNMATCH_CONFIRMATION
from matching.tests.factories import scorable_mentee, scorable_mentor
from users import password_reset, tokens, verification
from users.models import User
from users.tests.factories import DEFAULT_PASSWORD, AdminFactory

pytestmark = pytest.mark.django_db

SPEC = json.loads((Path(__file__).resolve().parents[2] / "docs" / "openapi.json").read_text())
HUGE = "x" * 200_000  # well under the 1 MiB body limit: the field's own limit must catch it
OVER_LIMIT = 1024 * 1024 + 1
OPERATORS = [{"$ne": None}, {"$gt": ""}, {"$regex": ".*"}, {"$where": "true"}]
NOT_A_STRING = [*OPERATORS, ["a@example.edu"], [], 1, 1.5, True, None]
NOT_A_BOOL = [*OPERATORS, "true", 1, 0, None, []]
NOT_JSON_OBJECTS = [b"[]", b'"text"', b"1", b"null", b"{not json", b'{"a": 1', b"\xff\xfe"]
# Past the recursion limit in the parser, and deep enough to overflow a recursive walk of
# the parsed value: both were a 500.
DEEPLY_NESTED = [b"[" * 100_000 + b"]" * 100_000, b'{"x": ' + b"[" * 600 + b"]" * 600 + b"}"]


def _fullwidth(email: str) -> str:
    """The same address in full-width letters: it must not reach the account."""
    return "".join(chr(ord(c) + 0xFEE0) if "a" <= c <= "z" else c for c in email)


def _surrogate(value: str) -> str:
    return value + "\ud800"


@dataclass
class Operation:
    """A valid request (acting user, path, body) and what its fields are."""

    method: str
    path: str
    actor: str | None
    body: dict | None = None
    strings: list[str] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)  # strings naming an account
    booleans: list[str] = field(default_factory=list)
    required: list[str] = field(default_factory=list)


@pytest.fixture
def world():
    """A small cohort with a match, messages, an invitation, scores and sessions."""
    admin = AdminFactory()
    matched = scorable_mentee(email="matched@example.edu")
    free = scorable_mentee(email="free@example.edu")
    scorable_mentee(email="other@example.edu")
    mentor = scorable_mentor(email="mentor@example.edu")
    open_mentor = scorable_mentor(email="open@example.edu")
    User.objects.filter(pk=mentor.pk).update(current_mentees=[matched.email])
    User.objects.filter(pk=matched.pk).update(isMatched=True, matchedMentorEmail=mentor.email)
    Message.objects.create(sender=matched.email, recipient=mentor.email, body="hello")
    Message.objects.create(sender=mentor.email, recipient=matched.email, body="hi there")
    invitation = create_invitation(
        creator=open_mentor, mentor_email=open_mentor.email, mentee_email=free.email
    )
    users = {u.email.split("@")[0]: u for u in User.objects.all()}
    users["admin"] = admin
    sessions = {name: tokens.issue_tokens(u) for name, u in users.items()}
    round_ = Round.objects.create(objective="total")
    return {
        "users": users,
        "tokens": sessions,
        "invitation": str(invitation.pk),
        "reset_token": password_reset.make_token(free),
        "verify_token": password_reset.make_token(free, verification.token_generator),
        "round": str(round_.pk),
    }


def _operations(world) -> list[Operation]:
    t = world["tokens"]
    inv = world["invitation"]
    rnd = world["round"]
    return [
        Operation(
            "POST",
            "/auth/register/",
            None,
            {
                "email": "newcomer@example.edu",
                "password": "a-long-enough-passphrase",
                "role": "MENTEE",
                "firstName": "New",
                "lastName": "Comer",
            },
            strings=["email", "password", "role", "firstName", "lastName"],
            required=["email", "password", "role"],
        ),
        Operation(
            "POST",
            "/auth/login/",
            None,
            {"email": "matched@example.edu", "password": DEFAULT_PASSWORD},
            strings=["email", "password"],
            addresses=["email"],
            required=["email", "password"],
        ),
        Operation(
            "POST",
            "/auth/refresh/",
            None,
            {"refresh": t["free"]["refresh"]},
            strings=["refresh"],
            required=["refresh"],
        ),
        Operation(
            "POST",
            "/auth/logout/",
            "free",
            {"refresh": t["free"]["refresh"]},
            strings=["refresh"],
            required=["refresh"],
        ),
        Operation("POST", "/users/me/restore/", "free", {}),
        Operation(
            "POST",
            "/matching/select/",
            "free",
            {"mentor_email": "open@example.edu"},
            strings=["mentor_email"],
            addresses=["mentor_email"],
            required=["mentor_email"],
        ),
        Operation(
            "POST",
            "/matching/unmatch/",
            "matched",
            {"confirmation": UNMATCH_CONFIRMATION, "mentor_email": "mentor@example.edu"},
            strings=["confirmation", "mentor_email"],
            addresses=["mentor_email"],
            required=["confirmation", "mentor_email"],
        ),
        Operation(
            "POST",
            "/matching/unmatch/",
            "mentor",
            {"confirmation": UNMATCH_CONFIRMATION, "mentee_email": "matched@example.edu"},
            strings=["confirmation", "mentee_email"],
            addresses=["mentee_email"],
            required=["confirmation", "mentee_email"],
        ),
        Operation(
            "PUT",
            "/matching/profile/",
            "free",
            {
                "firstName": "Changed",
                "lastName": "Name",
                "major": ["Physics"],
                "minor": ["Art"],
                "year": "2",
                "hobbies": "rowing",
                "clubs": "debate",
                "goals": "research",
                "requirements": "weekly calls",
                "international": True,
                "is_seeking_mentor": False,
            },
            strings=["firstName", "lastName", "hobbies", "clubs", "goals", "requirements"],
            booleans=["international", "is_seeking_mentor"],
        ),
        Operation(
            "POST",
            "/matching/invitations/",
            "mentor",
            {"mentor_email": "mentor@example.edu", "mentee_email": "other@example.edu"},
            strings=["mentor_email", "mentee_email"],
            addresses=["mentor_email", "mentee_email"],
            required=["mentor_email", "mentee_email"],
        ),
        Operation(
            "POST",
            "/matching/invitations/",
            "admin",
            {"mentor_email": "open@example.edu", "mentee_email": "other@example.edu"},
            strings=["mentor_email", "mentee_email"],
            addresses=["mentor_email", "mentee_email"],
            required=["mentor_email", "mentee_email"],
        ),
        Operation(
            "POST",
            f"/matching/invitations/{inv}/respond/",
            "free",
            {"accept": True},
            booleans=["accept"],
            required=["accept"],
        ),
        Operation("POST", f"/matching/invitations/{inv}/cancel/", "open", {}),
        Operation(
            "POST",
            "/chat/messages/",
            "matched",
            {"to": "mentor@example.edu", "body": "a new message"},
            strings=["to", "body"],
            addresses=["to"],
            required=["to", "body"],
        ),
        Operation(
            "POST",
            "/chat/read/",
            "matched",
            {"with": "mentor@example.edu"},
            strings=["with"],
            addresses=["with"],
            required=["with"],
        ),
        Operation(
            "POST",
            "/auth/password-reset/",
            None,
            {"email": "free@example.edu"},
            strings=["email"],
            addresses=["email"],
            required=["email"],
        ),
        Operation(
            "POST",
            "/auth/password-reset/confirm/",
            None,
            {"token": world.get("reset_token", ""), "password": "a-brand-new-passphrase"},
            strings=["token", "password"],
            required=["token", "password"],
        ),
        Operation(
            "POST",
            "/auth/verify-email/confirm/",
            None,
            {"token": world.get("verify_token", "")},
            strings=["token"],
            required=["token"],
        ),
        Operation(
            "POST",
            "/auth/verify-email/resend/",
            None,
            {"email": "free@example.edu"},
            strings=["email"],
            addresses=["email"],
            required=["email"],
        ),
        Operation(
            "PUT",
            "/matching/preferences/",
            "free",
            {"mentors": ["open@example.edu"]},
            required=["mentors"],
        ),
        Operation(
            "POST",
            "/matching/rounds/",
            "admin",
            {"objective": "total", "pinned": [], "excluded": []},
            strings=["objective"],
            required=["objective"],
        ),
        Operation(
            "POST",
            f"/matching/rounds/{rnd}/publish/",
            "admin",
            {"as": "matches"},
            strings=["as"],
            required=["as"],
        ),
    ]


def _snapshot() -> dict:
    """Every document of every collection, in a comparable form. The rate-limit counters
    are not data: a bad request still counts against its sender's limits."""
    db = connection.database
    return {
        name: sorted(json.dumps(doc, sort_keys=True, default=str) for doc in db[name].find())
        for name in sorted(db.list_collection_names())
        if name != settings.CACHES["limits"]["LOCATION"]
    }


def _variants(op: Operation):
    """(label, body bytes) for every bad version of the operation's body."""
    body = op.body or {}
    for name in op.strings:
        for value in NOT_A_STRING:
            yield f"{name}={value!r}", {**body, name: value}
        yield f"{name}=huge", {**body, name: HUGE}
        yield f"{name}=surrogate", {**body, name: _surrogate(body[name])}
    for name in op.addresses:
        yield f"{name}=fullwidth", {**body, name: _fullwidth(body[name])}
        yield f"{name}=with NUL", {**body, name: body[name] + "\x00"}
    for name in op.booleans:
        for value in NOT_A_BOOL:
            yield f"{name}={value!r}", {**body, name: value}
    for name in op.required:
        yield f"without {name}", {k: v for k, v in body.items() if k != name}
    yield "unknown field", {**body, "$where": "true"}
    yield "nested operator key", {**body, "profile": {"$set": {"role": "ADMIN"}}}


def _send(api_client, op: Operation, raw: bytes):
    return api_client.request(op.method, op.path, raw=raw)


def _assert_rejected(response, label):
    assert 400 <= response.status_code < 500, (label, response.status_code, response.content[:300])
    assert response["Content-Type"] == "application/json", label
    payload = response.json()
    assert set(payload) >= {"error", "code"}, label


BODY_OPERATIONS = 22
# The one operation with a query string, tested by test_bad_query_strings_...
QUERY_OPERATIONS = {("get", "/chat/messages/")}


@pytest.mark.parametrize("index", range(BODY_OPERATIONS))
def test_bad_bodies_are_refused_and_change_nothing(api, world, index, subtests):
    op = _operations(world)[index]
    actor = world["users"][op.actor] if op.actor else None
    client = api(actor)
    before = _snapshot()

    for label, body in _variants(op):
        with subtests.test(op=f"{op.method} {op.path}", variant=label):
            raw = json.dumps(body).encode("utf-8", "surrogatepass")
            _assert_rejected(_send(client, op, raw), label)
            assert _snapshot() == before, label
    for raw in [*NOT_JSON_OBJECTS, *DEEPLY_NESTED, b'{"x": "' + b"a" * OVER_LIMIT + b'"}']:
        label = f"raw {raw[:12]!r}"
        with subtests.test(op=f"{op.method} {op.path}", variant=label):
            response = _send(client, op, raw)
            _assert_rejected(response, label)
            if len(raw) > OVER_LIMIT:
                assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
                assert response.json()["code"] == "payload_too_large"
            assert _snapshot() == before, label


def test_every_operation_with_a_body_or_a_query_is_covered():
    ops = _operations({"tokens": {"free": {"refresh": ""}}, "invitation": "ID", "round": "RND"})
    covered = {
        (op.method.lower(), op.path.replace("ID", "{invitation_id}").replace("RND", "{round_id}"))
        for op in ops
    }
    covered |= QUERY_OPERATIONS
    wanted = set()
    for path, item in SPEC["paths"].items():
        for method, spec_op in item.items():
            if not isinstance(spec_op, dict):
                continue
            if "requestBody" in spec_op or any(
                p.get("in") == "query" for p in spec_op.get("parameters", [])
            ):
                wanted.add((method, path))
    assert wanted <= covered, wanted - covered
    assert len(ops) == BODY_OPERATIONS  # the parametrisation above


def test_bad_query_strings_are_refused_and_change_nothing(api, world, subtests):
    client = api(world["users"]["matched"])
    before = _snapshot()
    good = {"with": "mentor@example.edu", "limit": "10"}
    variants = {
        "with operator syntax": "with[$ne]=x&limit=10",
        "with repeated": "with=mentor@example.edu&with=other@example.edu",
        "with missing": "limit=10",
        "with as JSON operator": urlencode({**good, "with": '{"$ne": null}'}),
        "with fullwidth": urlencode({**good, "with": _fullwidth(good["with"])}),
        "with huge": urlencode({**good, "with": HUGE[:6000]}),
        "with invalid UTF-8": "with=%ff%fe&limit=10",
        "limit text": urlencode({**good, "limit": "ten"}),
        "limit negative": urlencode({**good, "limit": "-1"}),
        "limit zero": urlencode({**good, "limit": "0"}),
        "limit huge": urlencode({**good, "limit": str(10**30)}),
        "limit operator": urlencode({**good, "limit": '{"$gt": 0}'}),
        "before garbage": urlencode({**good, "before": "not-a-cursor"}),
        "before operator": urlencode({**good, "before": '{"$gt": ""}'}),
        "before huge": urlencode({**good, "before": HUGE[:6000]}),
    }
    for label, query in variants.items():
        with subtests.test(variant=label):
            response = client.get(f"/chat/messages/?{query}")
            _assert_rejected(response, label)
            assert _snapshot() == before, label


def test_bad_path_ids_are_not_found_and_change_nothing(api, world, subtests):
    client = api(world["users"]["open"])
    before = _snapshot()
    for raw_id in ["not-an-id", "0" * 23, "g" * 24, '{"$ne": null}', "[]", "0" * 25]:
        for action in ("respond", "cancel"):
            label = f"{action} {raw_id}"
            with subtests.test(variant=label):
                path = f"/matching/invitations/{quote(raw_id, safe='')}/{action}/"
                response = client.post(path, {"accept": True} if action == "respond" else {})
                _assert_rejected(response, label)
                assert response.status_code == HTTPStatus.NOT_FOUND, label
                assert _snapshot() == before, label
    assert Invitation.objects.get(pk=world["invitation"]).status == "pending"
