"""Each endpoint's database round trips: an exact number, the same whatever the cohort size.

Counted with pymongo's command monitoring (core/db_commands.py) on the mentee's flow and
the endpoints around it, in a cohort of 3 and of 30 mentors and mentees. A rate limit costs
one command (core/cache.py MongoCache.hit), its window's first request included.
docs/benchmarks.md lists the same counts (bench/endpoints.py).
"""

import json
import random
import urllib.parse

import pytest
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.test import Client

from core.db_commands import counting
from matching.services import recalculate_all_scores
from users import demo, tokens
from users.models import Role, User
from users.tests.factories import AdminFactory

pytestmark = pytest.mark.django_db

PASSWORD = "round-trip-passphrase"

# endpoint -> database commands. Authentication is 1 (users/tokens.py).
EXPECTED = {
    # the lockouts (account and address, one read), the user, the session's row, the
    # user's sessions.
    "POST /auth/login/": 4,
    "GET /users/me/": 1,
    # auth, the mentee's scores, their mentors' addresses and rosters, the cards this process
    # has not cached (matching/selectors.py CardCache; a test starts with none) ...
    "GET /matching/matches/": 4,
    # ... and once it has them all.
    "GET /matching/matches/ (cards cached)": 3,
    # auth, the mentor, intent insert, the two claims (the seat's returns the roster),
    # intent delete, the two "matched" mails (one insert). An unmatched mentee needs no
    # stale-intent check first: the intent insert meets a leftover (services/matches.py).
    "POST /matching/select/": 7,
    # auth, stale-intent check (crash repair), the mentor.
    "GET /matching/my-mentor/": 3,
    # auth, the limit's counter (one upsert), the insert.
    "POST /chat/messages/": 3,
    "GET /chat/messages/": 2,
    # auth, counterparts, one aggregation (last messages and unread counts).
    "GET /chat/conversations/": 3,
    "POST /chat/read/": 2,
    "GET /matching/my-mentees/": 3,
    # auth, save, then the rescoring (one batch under 1,000 counterparts).
    "PUT /matching/profile/": 7,
    # ... and the invitation_received mails (one insert; the parties were read already).
    "POST /matching/invitations/": 9,
    "GET /matching/invitations/": 3,
    # ... and the other side (their notification settings) and its invitation_accepted mail.
    "POST /matching/invitations/{id}/respond/": 7,
    "POST /auth/refresh/": 1,
    "POST /auth/logout/": 3,
}


def _cohort(size: int) -> tuple[list[User], list[User]]:
    rng = random.Random(size)
    password = make_password(PASSWORD)
    people = [
        User(
            email=f"{role.lower()}{i:03d}@cohort.test",
            role=role,
            password=password,
            **demo._profile(rng, years=years),
        )
        for role, years in ((Role.MENTOR, demo.YEARS_MENTOR), (Role.MENTEE, demo.YEARS_MENTEE))
        for i in range(size)
    ]
    User.objects.bulk_create(people)
    recalculate_all_scores()
    return (
        list(User.objects.filter(role=Role.MENTOR).order_by("email")),
        list(User.objects.filter(role=Role.MENTEE).order_by("email")),
    )


class Flow:
    def __init__(self, log) -> None:
        self.log = log
        self.client = Client(HTTP_HOST="localhost")
        self.counts: dict[str, int] = {}

    def call(self, label, method, path, body=None, *, token=None, status=200, count=True):
        extra = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
        data = json.dumps(body) if body is not None else ""
        with self.log.recording() as commands:
            response = self.client.generic(
                method, path, data=data, content_type="application/json", **extra
            )
        assert response.status_code == status, (label, response.content)
        if count:
            self.counts[label] = len(commands)
        return response.json() if response.content else None


def _run_flow(log, size: int) -> dict[str, int]:
    mentors, mentees = _cohort(size)
    mentee, other_mentee = mentees[0], mentees[1]
    admin = AdminFactory()
    flow = Flow(log)
    flow.call(
        "login-first",
        "POST",
        "/auth/login/",
        {"email": mentee.email, "password": PASSWORD},
        count=False,
    )
    session = flow.call(
        "POST /auth/login/", "POST", "/auth/login/", {"email": mentee.email, "password": PASSWORD}
    )
    token = session["access"]
    flow.call("GET /users/me/", "GET", "/users/me/", token=token)
    ranked = flow.call("GET /matching/matches/", "GET", "/matching/matches/", token=token)
    assert ranked["total"] >= 1
    again = flow.call(
        "GET /matching/matches/ (cards cached)", "GET", "/matching/matches/", token=token
    )
    assert again == ranked
    chosen = ranked["matches"][0]["email"]
    flow.call(
        "POST /matching/select/", "POST", "/matching/select/", {"mentor_email": chosen}, token=token
    )
    flow.call("GET /matching/my-mentor/", "GET", "/matching/my-mentor/", token=token)
    hello = {"to": chosen, "body": "hello"}
    flow.call("first-send", "POST", "/chat/messages/", hello, token=token, status=201, count=False)
    flow.call("POST /chat/messages/", "POST", "/chat/messages/", hello, token=token, status=201)
    query = urllib.parse.urlencode({"with": chosen, "limit": 20})
    flow.call("GET /chat/messages/", "GET", f"/chat/messages/?{query}", token=token)
    flow.call("GET /chat/conversations/", "GET", "/chat/conversations/", token=token)
    mentor_token = tokens.issue_tokens(User.objects.get(email=chosen))["access"]
    flow.call("POST /chat/read/", "POST", "/chat/read/", {"with": mentee.email}, token=mentor_token)
    flow.call("GET /matching/my-mentees/", "GET", "/matching/my-mentees/", token=mentor_token)
    flow.call(
        "PUT /matching/profile/", "PUT", "/matching/profile/", {"hobbies": "chess"}, token=token
    )
    admin_token = tokens.issue_tokens(admin)["access"]
    free_mentor = next(m for m in mentors if m.email != chosen)
    flow.call(
        "first-invitation",
        "POST",
        "/matching/invitations/",
        {"mentor_email": free_mentor.email, "mentee_email": mentees[2].email},
        token=admin_token,
        status=201,
        count=False,
    )
    created = flow.call(
        "POST /matching/invitations/",
        "POST",
        "/matching/invitations/",
        {"mentor_email": free_mentor.email, "mentee_email": other_mentee.email},
        token=admin_token,
        status=201,
    )
    flow.call("GET /matching/invitations/", "GET", "/matching/invitations/", token=admin_token)
    other_token = tokens.issue_tokens(other_mentee)["access"]
    flow.call(
        "POST /matching/invitations/{id}/respond/",
        "POST",
        f"/matching/invitations/{created['invitation']['id']}/respond/",
        {"accept": True},
        token=other_token,
    )
    flow.call("POST /auth/refresh/", "POST", "/auth/refresh/", {"refresh": session["refresh"]})
    flow.call(
        "POST /auth/logout/",
        "POST",
        "/auth/logout/",
        {"refresh": session["refresh"]},
        token=token,
        status=204,
    )
    return flow.counts


@pytest.fixture
def command_log():
    with counting() as log:
        # Once per process, not per request: whether the server has transactions.
        connection.features._supports_transactions  # noqa: B018
        yield log


@pytest.mark.parametrize("size", [3, 30])
def test_each_endpoint_costs_a_fixed_number_of_round_trips(command_log, size):
    counts = _run_flow(command_log, size)

    assert counts == EXPECTED
