"""run_round (compute, compare, list, publish, resume) and the rounds' Django admin."""

import json
from http import HTTPStatus
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from matching.models import Round, RoundStatus
from matching.tests.round_factories import cohort as make_cohort
from users.models import User
from users.tests.factories import AdminFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def pairs(settings):
    settings.MAX_MENTEES = 1
    mentees, mentors = make_cohort(lambda i, j: 90 - 10 * i - 30 * j, 3, 2)
    return mentees, mentors, AdminFactory()


def _run(*args) -> str:
    out = StringIO()
    call_command("run_round", *args, stdout=out)
    return out.getvalue()


def test_objective_with_pin_exclude_and_json(pairs):
    (a, b, c), (x, y), _ = pairs
    body = json.loads(
        _run(
            "--objective",
            "stable",
            "--pin",
            f"{c.email}:{x.email}",
            "--exclude",
            f"{a.email}:{y.email}",
            "--json",
        )
    )
    got = {(p["mentee"], p["mentor"]) for p in body["assignments"]}
    assert (c.email, x.email) in got and (a.email, y.email) not in got
    assert body["status"] == "draft" and body["report"]["matched"] == len(got)
    assert Round.objects.get(pk=body["id"]).pinned == [{"mentee": c.email, "mentor": x.email}]


def test_compare_prints_the_three_reports_side_by_side_and_list_shows_them(pairs):
    text = _run("--compare")
    header, *rows = text.splitlines()
    assert [w for w in ("total", "stable", "fair") if w in header] == ["total", "stable", "fair"]
    blocking = next(r for r in rows if r.startswith("blocking pairs")).split()[2:]
    assert len(blocking) == 3
    assert Round.objects.filter(status=RoundStatus.DRAFT).count() == 3
    assert len(_run("--list").splitlines()) == 3


def test_publish_at_once_and_publish_round_twice_is_an_error(pairs):
    (a, b, c), (x, y), admin = pairs
    text = _run("--objective", "total", "--publish", "matches")
    assert "2 published, 0 skipped" in text
    assert User.objects.get(pk=a.pk).isMatched
    found = Round.objects.get()
    with pytest.raises(CommandError, match="already_published"):
        _run("--publish-round", str(found.pk), "--as", "invitations")
    assert "Nothing to resume." in _run("--resume")


def test_bad_pair_and_missing_mode_are_command_errors(pairs):
    with pytest.raises(CommandError, match="MENTEE_EMAIL:MENTOR_EMAIL"):
        _run("--objective", "total", "--pin", "no-colon")
    with pytest.raises(CommandError, match="--as"):
        _run("--publish-round", "abc")
    with pytest.raises(CommandError, match="round_not_found"):
        _run("--show", "not-an-id")
    assert not Round.objects.exists()


def test_admin_shows_the_report_compares_recomputes_and_publishes(pairs):
    (a, b, c), (x, y), admin = pairs
    _run("--compare")
    client = Client(HTTP_HOST="localhost")
    client.force_login(admin)
    found = list(Round.objects.order_by("created_at"))
    url = "/admin/matching/round/"

    assert client.get(url).status_code == HTTPStatus.OK
    page = client.get(f"{url}{found[0].pk}/change/")
    assert page.status_code == HTTPStatus.OK
    assert b"blocking pairs" in page.content and a.email.encode() in page.content

    compared = client.post(
        url, {"action": "compare", "_selected_action": [str(r.pk) for r in found]}
    )
    assert compared.status_code == HTTPStatus.OK
    assert compared.content.count(b"<th>total score</th>") == 1
    assert b"stable draft" in compared.content and b"fair draft" in compared.content

    client.post(url, {"action": "recompute", "_selected_action": [str(found[0].pk)]})
    assert Round.objects.count() == 4

    response = client.post(
        url, {"action": "publish_as_matches", "_selected_action": [str(found[1].pk)]}
    )
    assert response.status_code == HTTPStatus.FOUND
    assert Round.objects.get(pk=found[1].pk).status == RoundStatus.PUBLISHED
    assert User.objects.get(pk=a.pk).isMatched
