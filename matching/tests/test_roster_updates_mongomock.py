"""The raw-pymongo roster updates of matching/services/matches.py, run against mongomock.

These are the single-document conditional updates a match is made of (claim the mentee,
claim a seat, release, unmatch, detach). Each takes its collection from matches._users(),
the one boundary patched here, so they run in memory without the embedded server. What
mongomock cannot stand in for stays on the server: the transaction path (mongomock refuses
a session: "Mongomock does not handle sessions yet"), the intents and the ORM reads around
the steps (docs/architecture.md, "Why the tests run on the embedded server").
"""

import mongomock
import pytest
from bson import ObjectId
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from matching.errors import NotYourMatchError
from matching.services import matches
from users.models import Role, User

MAX = 2


@pytest.fixture
def users(monkeypatch, settings):
    """A mongomock users collection handed to the services instead of the server's."""
    settings.MAX_MENTEES = MAX
    collection = mongomock.MongoClient().db[User._meta.db_table]
    monkeypatch.setattr(matches, "_users", lambda: collection)
    monkeypatch.setattr(matches, "session", lambda: None)
    return collection


def _add(users, role: str, email: str, **fields) -> User:
    """A user document shaped as the ORM stores it (its columns), and the model instance."""
    user = User(pk=ObjectId(), email=email, role=role, **fields)
    users.insert_one(
        {
            ("_id" if f.primary_key else f.column): getattr(user, f.attname)
            for f in User._meta.concrete_fields
        }
    )
    return user


def _doc(users, email: str) -> dict:
    return users.find_one({"email": email})


def test_claim_mentee_marks_an_unmatched_mentee_once(users):
    mentee = _add(users, Role.MENTEE, "e@x.edu")

    assert matches._claim_mentee(mentee=mentee, mentor_email="m@x.edu") is True
    assert matches._claim_mentee(mentee=mentee, mentor_email="n@x.edu") is False

    doc = _doc(users, "e@x.edu")
    assert (doc["isMatched"], doc["matchedMentorEmail"]) == (True, "m@x.edu")


def test_claim_mentee_refuses_a_blacklisted_mentor(users):
    mentee = _add(users, Role.MENTEE, "e@x.edu", blacklisted_mentors=["m@x.edu"])

    assert matches._claim_mentee(mentee=mentee, mentor_email="m@x.edu") is False
    assert _doc(users, "e@x.edu")["isMatched"] is False


def test_unclaim_mentee_only_undoes_its_own_claim(users):
    mentee = _add(users, Role.MENTEE, "e@x.edu")
    matches._claim_mentee(mentee=mentee, mentor_email="m@x.edu")

    matches._unclaim_mentee(mentee=mentee, mentor_email="other@x.edu")
    assert _doc(users, "e@x.edu")["isMatched"] is True
    matches._unclaim_mentee(mentee=mentee, mentor_email="m@x.edu")
    doc = _doc(users, "e@x.edu")
    assert (doc["isMatched"], doc["matchedMentorEmail"]) == (False, "")


def test_claim_seat_fills_the_roster_up_to_max_and_returns_it(users):
    mentor = _add(users, Role.MENTOR, "m@x.edu")

    assert matches._claim_seat(mentor=mentor, mentee_email="a@x.edu") is True
    assert mentor.current_mentees == ["a@x.edu"]
    assert matches._claim_seat(mentor=mentor, mentee_email="a@x.edu") is False  # no duplicate
    assert matches._claim_seat(mentor=mentor, mentee_email="b@x.edu") is True
    assert matches._claim_seat(mentor=mentor, mentee_email="c@x.edu") is False  # full

    assert _doc(users, "m@x.edu")["current_mentees"] == ["a@x.edu", "b@x.edu"]
    assert mentor.current_mentees == ["a@x.edu", "b@x.edu"]


@pytest.mark.parametrize(
    "fields",
    [{"is_seeking_mentee": False}, {"is_active": False}, {"role": Role.MENTEE}],
    ids=["not-seeking", "inactive", "not-a-mentor"],
)
def test_claim_seat_refuses_a_mentor_who_takes_no_mentees(users, fields):
    role = fields.pop("role", Role.MENTOR)
    mentor = _add(users, role, "m@x.edu", **fields)

    assert matches._claim_seat(mentor=mentor, mentee_email="a@x.edu") is False
    assert _doc(users, "m@x.edu")["current_mentees"] == []


def test_claim_seat_refuses_a_mentor_pending_deletion(users):
    mentor = _add(users, Role.MENTOR, "m@x.edu", deletion_requested_at=timezone.now())

    assert matches._claim_seat(mentor=mentor, mentee_email="a@x.edu") is False


def test_unmatch_steps_clear_blacklist_and_free_the_seat(users):
    _add(users, Role.MENTOR, "m@x.edu", current_mentees=["e@x.edu", "f@x.edu"])
    mentee = _add(users, Role.MENTEE, "e@x.edu", isMatched=True, matchedMentorEmail="m@x.edu")

    matches._unmatch_steps(mentee_pk=mentee.pk, mentee_email="e@x.edu", mentor_email="m@x.edu")

    doc = _doc(users, "e@x.edu")
    assert (doc["isMatched"], doc["matchedMentorEmail"]) == (False, "")
    assert doc["blacklisted_mentors"] == ["m@x.edu"]
    assert _doc(users, "m@x.edu")["current_mentees"] == ["f@x.edu"]


def test_unmatch_steps_of_a_pair_that_is_not_matched_change_nothing(users):
    mentor = _add(users, Role.MENTOR, "m@x.edu", current_mentees=["e@x.edu"])
    mentee = _add(users, Role.MENTEE, "e@x.edu", isMatched=True, matchedMentorEmail="n@x.edu")
    before = list(users.find({}, {"_id": 0}))

    with pytest.raises(NotYourMatchError):
        matches._unmatch_steps(
            mentee_pk=mentee.pk, mentee_email="e@x.edu", mentor_email=mentor.email
        )

    assert list(users.find({}, {"_id": 0})) == before


def test_detach_a_purged_mentor_frees_their_mentees_and_blacklists(users):
    mentor = _add(users, Role.MENTOR, "m@x.edu", current_mentees=["e@x.edu"])
    _add(users, Role.MENTEE, "e@x.edu", isMatched=True, matchedMentorEmail="m@x.edu")
    _add(users, Role.MENTEE, "f@x.edu", blacklisted_mentors=["m@x.edu", "n@x.edu"])

    matches.detach_user(user=mentor)

    e, f = _doc(users, "e@x.edu"), _doc(users, "f@x.edu")
    assert (e["isMatched"], e["matchedMentorEmail"], e["blacklisted_mentors"]) == (False, "", [])
    assert f["blacklisted_mentors"] == ["n@x.edu"]


def test_detach_a_purged_mentee_frees_their_seat_only(users):
    _add(users, Role.MENTOR, "m@x.edu", current_mentees=["e@x.edu", "f@x.edu"])
    mentee = _add(users, Role.MENTEE, "e@x.edu", isMatched=True, matchedMentorEmail="m@x.edu")

    matches.detach_user(user=mentee)

    assert _doc(users, "m@x.edu")["current_mentees"] == ["f@x.edu"]


# Any interleaving of seat claims and releases keeps the roster within MAX and unique: the
# capacity check is part of the update's filter, never a read followed by a write.
_EMAILS = [f"{c}@x.edu" for c in "abcde"]


@hypothesis_settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.tuples(st.booleans(), st.sampled_from(_EMAILS)), max_size=30))
def test_any_sequence_of_claims_and_releases_keeps_the_roster_valid(users, steps):
    users.delete_many({})
    mentor = _add(users, Role.MENTOR, "m@x.edu")
    expected: list[str] = []

    for claim, email in steps:
        if claim:
            took = matches._claim_seat(mentor=mentor, mentee_email=email)
            assert took == (email not in expected and len(expected) < MAX)
            if took:
                expected.append(email)
        else:
            matches._release_seat(mentor_email="m@x.edu", mentee_email=email)
            expected = [e for e in expected if e != email]

        assert _doc(users, "m@x.edu")["current_mentees"] == expected
