"""Property-based fuzzing of the HTTP API against docs/openapi.json, with schemathesis.

`@schema.parametrize()` makes one test per operation of the spec; each is a Hypothesis test
that sends its generated requests over HTTP to pytest-django's `live_server` and checks
every response.

Checks, passed explicitly to `call_and_validate` so that an upgrade cannot change them:

- not_a_server_error: no 5xx, whatever the input.
- status_code_conformance: the status is one the operation documents.
- content_type_conformance: the Content-Type is the one documented for that status.
- response_schema_conformance: the body validates against the documented schema.
- response_headers_conformance: documented response headers match their schemas.
- unsupported_method: a method the path does not document is 405 with an Allow header.
- allow_header_conformance: Allow (answering OPTIONS) lists exactly the documented methods.
- ignored_auth: on a 2xx of an operation that requires a token, the same request without
  a token and with a made-up one must be refused (401/403).
- negative_data_rejection: a request that violates the spec (schemathesis re-classifies a
  case the aiming below made valid) must be refused with a 4xx.

Not run: positive_data_acceptance, because schema-valid input still meets business rules
(a wrong password, an unknown mentor, a taken email are 4xx by design).

Generation: the coverage phase (schemathesis' deterministic cases: boundary values, each
field missing or of the wrong type, undocumented methods) and the fuzzing phase, which
draws from both modes, positive (schema-valid) and negative (schema-invalid: wrong types,
missing, extra or malformed fields and parameters, no Authorization header), MAX_EXAMPLES
examples per operation. Generated strings sometimes come from TRICKY_STRINGS, and the one
integer query parameter from NUMBER_LIKE, values random text seldom hits. Generation is
derandomized and keeps no example database, so every run and CI sends the same requests.
FUZZ_MAX_EXAMPLES=200 (an environment variable) fuzzes deeper by hand.

State: an example runs against a world of users made on first use: a mentee matched with
a mentor and their conversation, a free mentee and a free mentor with a pending
invitation between them, an admin, an account pending deletion. Operations whose success
changes that world for the next example (logout, account deletion and restore, select,
unmatch, invitations created, answered or cancelled) get a fresh world per example; the
others share one per test. Requests carry a bearer token of the user the operation is for
(CALLER). Random strings seldom name a real user, so `flatmap_*` hooks let Hypothesis put,
in place of a generated string field, a reference to the world (the mentor's email, the
invitation's id, a live refresh token, the unmatch phrase, ...), resolved just before the
request: select, unmatch, chat and invitation answers reach their success paths too.
"""

import os
import uuid
from functools import cached_property
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis import checks

from chat import services as chat_services
from matching.services import invitations as invitation_service
from matching.services import matches as match_service
from matching.tests.factories import scorable_mentee, scorable_mentor
from users import password_reset, tokens, verification
from users import services as user_services
from users.tests.factories import DEFAULT_PASSWORD, AdminFactory, MenteeFactory, MentorFactory

pytestmark = pytest.mark.django_db(transaction=True)

SPEC = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "10"))
PHRASE = "I would like to unmatch"
# Prefixes a generated value the test replaces with one of the world (URL-safe, so that it
# survives the quoting of path parameters).
REF = "world~"

# Classic troublemakers, mixed into generated strings.
TRICKY_STRINGS = [
    "",
    " ",
    "\x00",
    "null",
    "İ",  # lower() makes it two characters
    "ß",
    "\u202eRTL",
    "😀",
    "../../etc/passwd",
    "%00",
    "$ne",
    '{"$gt": ""}',
    " padded@example.edu ",
    "a" * 5000,
]
# Text that looks like a number: other digits, signs, exponents, separators, huge.
NUMBER_LIKE = ["²", "٣", "１２", "0x1f", "1e2", "+5", "-1", "5.0", " 7", "1_0", "0", "9" * 4400]

config = schemathesis.Config.from_dict(
    {
        "generation": {
            "mode": "all",
            "max-examples": MAX_EXAMPLES,
            "deterministic": True,
            "database": "none",
            "dictionaries": {"string": {"dictionary": "strings", "probability": 0.2}},
        },
        "phases": {"coverage": {"enabled": True}, "stateful": {"enabled": False}},
        "dictionaries": {
            "strings": {"values": TRICKY_STRINGS},
            "numbers": {"values": NUMBER_LIKE},
        },
        # Query values reach the server as text that it parses.
        "parameters": {"query.limit": {"dictionary": "numbers", "probability": 0.5}},
    }
)
schema = schemathesis.openapi.from_path(SPEC, config=config)

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
    checks.unsupported_method,
    checks.allow_header_conformance,
    checks.ignored_auth,
    checks.negative_data_rejection,
]

# Who calls each operation (a World attribute; None: no token). A MENTOR's unmatch body
# (mentee_email) is sent by the mentor, see _caller.
CALLER = {
    "POST /auth/register/": None,
    "POST /auth/login/": None,
    "POST /auth/refresh/": None,
    "POST /auth/logout/": "mentee",
    "POST /auth/password-reset/": None,
    "POST /auth/password-reset/confirm/": None,
    "POST /auth/verify-email/confirm/": None,
    "POST /auth/verify-email/resend/": None,
    "GET /users/me/": "mentee",
    "DELETE /users/me/": "mentee",
    "POST /users/me/restore/": "deleting",
    "GET /matching/matches/": "free_mentee",
    "GET /matching/rematch/": "free_mentee",
    "POST /matching/select/": "free_mentee",
    "GET /matching/my-mentor/": "mentee",
    "GET /matching/my-mentees/": "mentor",
    "POST /matching/unmatch/": "mentee",
    "PUT /matching/profile/": "mentee",
    "GET /matching/invitations/": "free_mentee",
    "POST /matching/invitations/": "admin",
    "POST /matching/invitations/{invitation_id}/respond/": "free_mentee",
    "POST /matching/invitations/{invitation_id}/cancel/": "free_mentor",
    "GET /matching/preferences/": "free_mentee",
    "PUT /matching/preferences/": "free_mentee",
    "GET /matching/rounds/": "admin",
    "POST /matching/rounds/": "admin",
    "GET /matching/rounds/{round_id}/": "admin",
    "POST /matching/rounds/{round_id}/publish/": "admin",
    "GET /chat/conversations/": "mentor",
    "GET /chat/messages/": "mentee",
    "POST /chat/messages/": "mentee",
    "POST /chat/read/": "mentor",
    "GET /health/": None,
    "GET /health/live/": None,
    "GET /health/ready/": None,
}

# Operations whose success changes what the next example would meet (a session ended, an
# account pending deletion or restored, a match made or ended, an invitation created or
# closed): each of their examples gets a fresh world. The others (reads, the profile, chat
# messages, sign-in) leave their world usable and share one per test.
FRESH_WORLD = {
    "POST /auth/logout/",
    "POST /auth/password-reset/confirm/",
    "POST /auth/verify-email/confirm/",
    "DELETE /users/me/",
    "POST /users/me/restore/",
    "POST /matching/select/",
    "POST /matching/unmatch/",
    "POST /matching/invitations/",
    "POST /matching/invitations/{invitation_id}/respond/",
    "POST /matching/invitations/{invitation_id}/cancel/",
    "POST /matching/rounds/{round_id}/publish/",
}


def _ref(*names: str) -> list[str]:
    return [REF + name for name in names]


# What Hypothesis may put in place of a generated string field, per operation and location:
# world references (see World.resolve) or literal values.
AIMS = {
    "POST /auth/register/": {
        "body": {"email": _ref("new_email", "mentee.email"), "password": [DEFAULT_PASSWORD]}
    },
    "POST /auth/login/": {
        "body": {"email": _ref("mentee.email", "mentee.shouted"), "password": [DEFAULT_PASSWORD]}
    },
    "POST /auth/refresh/": {"body": {"refresh": _ref("mentee.refresh")}},
    "POST /auth/logout/": {"body": {"refresh": _ref("mentee.refresh", "mentor.refresh")}},
    "POST /auth/password-reset/": {"body": {"email": _ref("mentee.email", "mentee.shouted")}},
    "POST /auth/password-reset/confirm/": {
        "body": {"token": _ref("mentee.reset_token"), "password": ["a-brand-new-passphrase"]}
    },
    "POST /auth/verify-email/confirm/": {"body": {"token": _ref("mentee.verify_token")}},
    "POST /auth/verify-email/resend/": {"body": {"email": _ref("mentee.email", "mentee.shouted")}},
    "POST /matching/select/": {
        "body": {"mentor_email": _ref("free_mentor.email", "free_mentor.shouted", "mentee.email")}
    },
    "POST /matching/unmatch/": {
        "body": {
            "confirmation": [PHRASE],
            "mentor_email": _ref("mentor.email", "free_mentor.email"),
            "mentee_email": _ref("mentee.email", "free_mentee.email"),
        }
    },
    "POST /matching/invitations/": {
        "body": {
            "mentor_email": _ref("free_mentor.email", "mentor.email"),
            "mentee_email": _ref("free_mentee.email", "mentee.email"),
        }
    },
    "POST /matching/invitations/{invitation_id}/respond/": {
        "path_parameters": {"invitation_id": _ref("invitation.id")}
    },
    "POST /matching/invitations/{invitation_id}/cancel/": {
        "path_parameters": {"invitation_id": _ref("invitation.id")}
    },
    "GET /chat/messages/": {
        "query": {"with": _ref("mentor.email", "mentor.shouted"), "before": _ref("cursor")}
    },
    "POST /chat/messages/": {"body": {"to": _ref("mentor.email")}},
    "POST /chat/read/": {"body": {"with": _ref("mentee.email")}},
}


def _aim(location: str):
    """A flatmap hook: each aimable string field keeps its generated value or takes an aim."""

    def hook(context, value):
        aims = AIMS.get(context.operation.label, {}).get(location, {})
        if not isinstance(value, dict) or not aims:
            return st.just(value)
        choices = {
            key: st.sampled_from([*aims[key], current])
            for key, current in value.items()
            if key in aims and isinstance(current, str)
        }
        return st.fixed_dictionaries(choices).map(lambda chosen: {**value, **chosen})

    hook.__name__ = f"flatmap_{location}"  # the name tells schemathesis what it hooks
    return hook


for _location in ("body", "query", "path_parameters"):
    schema.hook(_aim(_location))


class World:
    """The users (and their invitation and messages) an example runs against, each made on
    first use. Scored, mentees and mentors have a major, a year and interests, so that the
    match lists have entries; a fresh world per example skips that (6x cheaper)."""

    def __init__(self, *, scored: bool):
        self.scored = scored
        self.sessions: dict[str, dict[str, str]] = {}

    def _mentee(self):
        return scorable_mentee() if self.scored else MenteeFactory()

    def _mentor(self):
        return scorable_mentor() if self.scored else MentorFactory()

    @cached_property
    def mentor(self):
        return self._mentor()

    @cached_property
    def mentee(self):
        """Matched with `mentor`."""
        mentee = self._mentee()
        match_service.select_mentor(mentee=mentee, mentor_email=self.mentor.email)
        self.mentor.refresh_from_db()
        return mentee

    @cached_property
    def messages(self):
        """A conversation between `mentee` and `mentor`, oldest first."""
        return [
            chat_services.send_message(sender=self.mentee, to=self.mentor.email, body="hello"),
            chat_services.send_message(sender=self.mentor, to=self.mentee.email, body="hi!"),
        ]

    @cached_property
    def free_mentor(self):
        return self._mentor()

    @cached_property
    def free_mentee(self):
        return self._mentee()

    @cached_property
    def invitation(self):
        """Pending, proposed by `free_mentor` to `free_mentee`."""
        return invitation_service.create_invitation(
            creator=self.free_mentor,
            mentor_email=self.free_mentor.email,
            mentee_email=self.free_mentee.email,
        )

    @cached_property
    def admin(self):
        return AdminFactory()

    @cached_property
    def deleting(self):
        """A mentee whose account is pending deletion."""
        return user_services.request_account_deletion(user=MenteeFactory())

    def session(self, name: str) -> dict[str, str]:
        """Access and refresh token of a new session of the user `name`, one per world."""
        if name not in self.sessions:
            self.sessions[name] = tokens.issue_tokens(getattr(self, name))
        return self.sessions[name]

    def resolve(self, ref: str) -> str:
        if ref == "cursor":  # the page before the newest message
            last = self.messages[-1]
            return chat_services.encode_cursor(last.created_at, last.pk)
        if ref == "new_email":
            return f"new-{uuid.uuid4().hex[:12]}@example.edu"
        name, attr = ref.split(".")
        if attr == "refresh":
            return self.session(name)["refresh"]
        if attr == "id":
            return str(getattr(self, name).pk)
        if attr == "reset_token":
            return password_reset.make_token(getattr(self, name))
        if attr == "verify_token":
            return password_reset.make_token(getattr(self, name), verification.token_generator)
        if attr == "shouted":  # the same address in capitals, with spaces around
            return f"  {getattr(self, name).email.upper()} "
        return getattr(getattr(self, name), attr)


def _resolve_refs(container, world: World) -> None:
    if isinstance(container, dict):
        for key, value in container.items():
            if isinstance(value, str) and value.startswith(REF):
                container[key] = world.resolve(value.removeprefix(REF))


def _caller(case) -> str | None:
    label = case.operation.label
    if label == "POST /matching/unmatch/" and isinstance(case.body, dict):
        if "mentee_email" in case.body and "mentor_email" not in case.body:
            return "mentor"
    return CALLER[label]


@pytest.fixture
def shared_world(live_server):
    """The world of the operations not in FRESH_WORLD: one per test, i.e. per operation
    (the database is emptied after each test)."""
    return World(scored=True)


# Hypothesis warns about function-scoped fixtures because they are not reset between
# examples; shared_world is meant to be shared, and the database is live_server's.
@schema.parametrize()
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_api_conforms_to_the_spec(case, live_server, shared_world):
    label = case.operation.label
    world = World(scored=False) if label in FRESH_WORLD else shared_world
    if "/chat/" in label:
        world.messages  # noqa: B018 - something to list, page through and mark read
    for container in (case.body, case.query, case.path_parameters):
        _resolve_refs(container, world)
    headers = {}
    caller = _caller(case)
    if caller is not None:
        headers["Authorization"] = f"Bearer {world.session(caller)['access']}"
    case.call_and_validate(base_url=live_server.url, headers=headers, checks=CHECKS)
