"""POST/GET /matching/rounds/, GET /matching/rounds/ID/, POST .../publish/: shapes, bad
input (nothing stored or changed), wrong roles, publishing twice."""

from http import HTTPStatus

import pytest

from core.tests.test_openapi import _response_schema, validate
from matching.models import Round, RoundStatus
from matching.tests.round_factories import cohort as make_cohort
from users.models import User

pytestmark = pytest.mark.django_db

ROUNDS = "/matching/rounds/"


@pytest.fixture
def cohort(settings):
    settings.MAX_MENTEES = 1
    mentees, mentors = make_cohort(lambda i, j: 80 - 10 * i - 20 * j, 3, 2)
    return mentees, mentors


def test_create_list_detail_and_publish(api, admin_user, cohort):
    (a, b, c), (x, y) = cohort
    client = api(admin_user)

    created = client.post(
        ROUNDS, {"objective": "fair", "excluded": [{"mentee": a.email, "mentor": y.email}]}
    )
    assert created.status_code == HTTPStatus.CREATED, created.json()
    validate(created.json(), _response_schema(ROUNDS, "post", 201))
    round_ = created.json()["round"]
    assert round_["status"] == "draft" and round_["objective"] == "fair"
    assert round_["excluded"] == [{"mentee": a.email, "mentor": y.email}]
    assert {(p["mentee"], p["mentor"]) for p in round_["assignments"]} == {
        (a.email, x.email),
        (b.email, y.email),
    }
    assert set(round_["assignments"][0]) == {"mentee", "mentor", "score", "rank"}
    report = round_["report"]
    for field in (
        "matched seats_used total_score mean_score min_score rank1_share top3_share "
        "mean_rank worst_rank blocking_pairs unmatched mentor_load"
    ).split():
        assert field in report
    assert report["unmatched"] == [{"mentee": c.email, "reason": "no_seat_left"}]
    second = client.post(ROUNDS, {"objective": "stable"}).json()["round"]

    validate(client.get(ROUNDS).json(), _response_schema(ROUNDS, "get", 200))
    listed = client.get(ROUNDS).json()["rounds"]
    assert [r["id"] for r in listed] == [second["id"], round_["id"]]
    assert "assignments" not in listed[0]
    assert client.get(f"{ROUNDS}{round_['id']}/").json()["round"] == round_

    published = client.post(f"{ROUNDS}{round_['id']}/publish/", {"as": "matches"})
    assert published.status_code == HTTPStatus.OK, published.json()
    validate(published.json(), _response_schema(f"{ROUNDS}{{round_id}}/publish/", "post", 200))
    body = published.json()
    assert body["round"]["status"] == "published" and body["round"]["published_as"] == "matches"
    assert {(p["mentee"], p["mentor"]) for p in body["published"]} == {
        (a.email, x.email),
        (b.email, y.email),
    }
    assert body["skipped"] == []
    assert User.objects.get(pk=a.pk).matchedMentorEmail == x.email

    again = client.post(f"{ROUNDS}{round_['id']}/publish/", {"as": "invitations"})
    assert again.status_code == HTTPStatus.CONFLICT
    assert again.json()["code"] == "already_published"
    # The stable draft's pairs are now taken: publishing it skips them with the reasons.
    late = client.post(f"{ROUNDS}{second['id']}/publish/", {"as": "invitations"}).json()
    validate(late, _response_schema(f"{ROUNDS}{{round_id}}/publish/", "post", 200))
    assert late["published"] == []
    assert {s["reason"] for s in late["skipped"]} == {"already_matched"}


@pytest.mark.parametrize(
    "body, code",
    [
        ({}, "missing_field"),
        ({"objective": "best"}, "invalid_field"),
        ({"objective": 1}, "invalid_field"),
        ({"objective": "total", "pinned": {}}, "invalid_field"),
        ({"objective": "total", "pinned": ["a@b.c"]}, "invalid_field"),
        ({"objective": "total", "pinned": [{"mentee": "a@example.edu"}]}, "missing_field"),
        (
            {"objective": "total", "excluded": [{"mentee": "a", "mentor": "b", "x": 1}]},
            "unknown_field",
        ),
        ({"objective": "total", "extra": True}, "unknown_field"),
        (
            {
                "objective": "total",
                "pinned": [{"mentee": "no@example.edu", "mentor": "no@example.edu"}],
            },
            "invalid_field",
        ),
    ],
)
def test_bad_create_input_is_400_and_stores_nothing(api, admin_user, body, code):
    response = api(admin_user).post(ROUNDS, body)
    assert response.status_code == HTTPStatus.BAD_REQUEST, response.json()
    assert response.json()["code"] == code
    assert not Round.objects.exists()


def test_bad_ids_modes_and_wrong_roles(api, admin_user, mentee, mentor):
    found = Round.objects.create(objective="total")
    client = api(admin_user)
    for bad in ("not-an-id", "0" * 24):
        for response in (
            client.get(f"{ROUNDS}{bad}/"),
            client.post(f"{ROUNDS}{bad}/publish/", {"as": "matches"}),
        ):
            assert response.status_code == HTTPStatus.NOT_FOUND
            assert response.json()["code"] == "round_not_found"
    for body, code in (
        ({}, "missing_field"),
        ({"as": "email"}, "invalid_field"),
        ({"as": "matches", "x": 1}, "unknown_field"),
    ):
        response = client.post(f"{ROUNDS}{found.pk}/publish/", body)
        assert (response.status_code, response.json()["code"]) == (HTTPStatus.BAD_REQUEST, code)
    assert Round.objects.get(pk=found.pk).status == RoundStatus.DRAFT

    for user in (mentee, mentor):
        other = api(user)
        for response in (
            other.get(ROUNDS),
            other.post(ROUNDS, {"objective": "total"}),
            other.get(f"{ROUNDS}{found.pk}/"),
            other.post(f"{ROUNDS}{found.pk}/publish/", {"as": "matches"}),
        ):
            assert response.status_code == HTTPStatus.FORBIDDEN
            assert response.json()["code"] == "wrong_role"
    assert api().get(ROUNDS).status_code == HTTPStatus.UNAUTHORIZED
    assert Round.objects.get(pk=found.pk).status == RoundStatus.DRAFT
    assert Round.objects.count() == 1
