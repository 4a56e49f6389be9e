"""Select and unmatch under real concurrency: many HTTP clients against a live server."""

import json
import urllib.error
import urllib.request
from functools import partial

import pytest

from users import tokens
from users.models import User
from users.tests.factories import MenteeFactory, MentorFactory

pytestmark = pytest.mark.django_db(transaction=True)
PHRASE = "I would like to unmatch"


def _post(url: str, access: str, body: dict) -> int:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {access}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _assert_consistent(mentor_pk, mentees, capacity: int) -> list[str]:
    mentor = User.objects.get(pk=mentor_pk)
    roster = list(mentor.current_mentees)
    assert len(roster) <= capacity
    assert len(roster) == len(set(roster))
    for mentee in User.objects.filter(pk__in=[m.pk for m in mentees]):
        in_roster = mentee.email in roster
        assert mentee.isMatched == in_roster, mentee.email
        assert (mentee.matchedMentorEmail == mentor.email) == in_roster, mentee.email
    return roster


def test_twelve_concurrent_selects_of_a_two_slot_mentor(live_server, settings, all_at_once):
    settings.MAX_MENTEES = 2
    mentor = MentorFactory()
    mentees = [MenteeFactory() for _ in range(12)]
    access = [tokens.issue_tokens(m)["access"] for m in mentees]
    url = f"{live_server.url}/matching/select/"

    statuses = all_at_once([partial(_post, url, a, {"mentor_email": mentor.email}) for a in access])

    assert sorted(statuses) == [200, 200] + [409] * 10
    roster = _assert_consistent(mentor.pk, mentees, 2)
    assert len(roster) == 2


def test_one_mentee_selecting_many_mentors_at_once_gets_one(live_server, all_at_once):
    mentee = MenteeFactory()
    mentors = [MentorFactory() for _ in range(8)]
    access = tokens.issue_tokens(mentee)["access"]
    url = f"{live_server.url}/matching/select/"

    statuses = all_at_once(
        [partial(_post, url, access, {"mentor_email": m.email}) for m in mentors]
    )

    assert statuses.count(200) == 1
    assert sorted(set(statuses)) == [200, 400]
    fresh = User.objects.get(pk=mentee.pk)
    assert fresh.isMatched
    holders = [m for m in User.objects.filter(pk__in=[m.pk for m in mentors]) if m.current_mentees]
    assert [h.email for h in holders] == [fresh.matchedMentorEmail]
    assert holders[0].current_mentees == [mentee.email]


def test_concurrent_unmatch_and_selects_leave_a_consistent_state(
    live_server, settings, all_at_once
):
    settings.MAX_MENTEES = 2
    for _ in range(3):
        mentor = MentorFactory()
        leaving, staying = MenteeFactory(), MenteeFactory()
        newcomers = [MenteeFactory() for _ in range(4)]
        everyone = [leaving, staying, *newcomers]
        User.objects.filter(pk=mentor.pk).update(current_mentees=[leaving.email, staying.email])
        User.objects.filter(pk__in=[leaving.pk, staying.pk]).update(
            isMatched=True, matchedMentorEmail=mentor.email
        )
        unmatch_url = f"{live_server.url}/matching/unmatch/"
        select_url = f"{live_server.url}/matching/select/"
        unmatch_body = {"confirmation": PHRASE, "mentor_email": mentor.email}
        select_body = {"mentor_email": mentor.email}
        calls = [
            partial(_post, unmatch_url, tokens.issue_tokens(leaving)["access"], unmatch_body),
            *[
                partial(_post, select_url, tokens.issue_tokens(n)["access"], select_body)
                for n in newcomers
            ],
        ]

        statuses = all_at_once(calls)

        assert statuses[0] == 200
        assert statuses[1:].count(200) <= 1
        assert set(statuses[1:]) <= {200, 409}
        roster = _assert_consistent(mentor.pk, everyone, 2)
        assert staying.email in roster and leaving.email not in roster
        assert len(roster) == 1 + statuses[1:].count(200)
        assert mentor.email in User.objects.get(pk=leaving.pk).blacklisted_mentors
