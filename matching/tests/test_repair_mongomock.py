"""The repair's raw-pymongo part (matching/services/repair.py), run against mongomock.

What the repair reads and writes in the users collection - which mentees disagree with the
rosters, the plan of conditional updates for one mentee (rules 1-4 of the module
docstring), the roster trim - takes its collection from repair._users(), the boundary
patched here. The pair's chat deletion (a signal to chat) is recorded instead of sent.
The lock around a mentee's repair (a MatchIntent taken or created through the ORM) and the
invitation closing stay with the tests on the embedded server (test_repair.py), since
django-mongodb-backend's ORM does not run on mongomock (bench/mongomock_probe.py).
"""

import mongomock
import pytest
from bson import ObjectId

from matching.models import IntentOp, MatchIntent
from matching.services import repair
from users.models import Role, User


@pytest.fixture
def users(monkeypatch, settings):
    settings.MAX_MENTEES = 2
    collection = mongomock.MongoClient().db[User._meta.db_table]
    monkeypatch.setattr(repair, "_users", lambda: collection)
    return collection


@pytest.fixture
def chats(monkeypatch):
    """The (mentee, mentor) pairs whose chat the repair deletes."""
    deleted: list[tuple[str, str]] = []
    monkeypatch.setattr(repair, "_notify_unmatched", lambda e, m: deleted.append((e, m)))
    return deleted


def _add(users, role: str, email: str, **fields) -> None:
    user = User(pk=ObjectId(), email=email, role=role, **fields)
    users.insert_one(
        {
            ("_id" if f.primary_key else f.column): getattr(user, f.attname)
            for f in User._meta.concrete_fields
        }
    )


def _state(users) -> dict[str, tuple]:
    """Each user's matching fields: (isMatched, matchedMentorEmail, blacklist) for a mentee,
    the roster for a mentor."""
    return {
        d["email"]: (
            tuple(d["current_mentees"])
            if d["role"] == Role.MENTOR
            else (d["isMatched"], d["matchedMentorEmail"], tuple(d["blacklisted_mentors"]))
        )
        for d in users.find()
    }


def _intent(op: str, mentee: str, mentor: str) -> MatchIntent:
    return MatchIntent(op=op, mentee_email=mentee, mentor_email=mentor)


def _repair(email: str, intent: MatchIntent | None = None) -> list[str]:
    """repair_mentee's plan and its actions, without the lock around them."""
    steps = repair._plan(email, intent)
    for _, action in steps:
        action()
    return [what for what, _ in steps]


def test_a_consistent_pair_needs_nothing(users, chats):
    _add(users, Role.MENTOR, "m@x.edu", current_mentees=["e@x.edu"])
    _add(users, Role.MENTEE, "e@x.edu", isMatched=True, matchedMentorEmail="m@x.edu")

    assert _repair("e@x.edu") == []
    assert repair._suspects(repair._mentors()) == set()
    assert chats == []


def test_suspects_are_the_mentees_whose_match_and_rosters_disagree(users):
    _add(users, Role.MENTOR, "m@x.edu", current_mentees=["ok@x.edu", "ghost@x.edu"])
    _add(users, Role.MENTEE, "ok@x.edu", isMatched=True, matchedMentorEmail="m@x.edu")
    _add(users, Role.MENTEE, "ghost@x.edu")  # seated, not matched
    _add(users, Role.MENTEE, "stranded@x.edu", isMatched=True, matchedMentorEmail="m@x.edu")
    _add(users, Role.MENTEE, "half@x.edu", isMatched=False, matchedMentorEmail="m@x.edu")
    _add(users, Role.MENTEE, "free@x.edu")

    assert repair._suspects(repair._mentors()) == {"ghost@x.edu", "stranded@x.edu", "half@x.edu"}


@pytest.mark.parametrize(
    ("mentee_fields", "roster", "change"),
    [
        (
            {"isMatched": True, "matchedMentorEmail": "m@x.edu"},
            [],
            "e@x.edu: match with m@x.edu rolled back (not on that mentor's roster)",
        ),
        ({"isMatched": True}, [], "e@x.edu: half-set match fields cleared"),
        ({}, ["e@x.edu"], "e@x.edu: removed from m@x.edu's roster (not matched to them)"),
    ],
    ids=["stranded", "half-set", "ghost"],
)
def test_rule_3_and_4_leave_the_mentee_unmatched_and_off_the_roster(
    users, chats, mentee_fields, roster, change
):
    _add(users, Role.MENTOR, "m@x.edu", current_mentees=roster)
    _add(users, Role.MENTEE, "e@x.edu", **mentee_fields)

    assert _repair("e@x.edu") == [change]

    assert _state(users) == {"m@x.edu": (), "e@x.edu": (False, "", ())}
    assert chats == []
    assert _repair("e@x.edu") == []  # a second run changes nothing


def test_a_seat_with_a_blacklisted_mentor_finishes_an_old_unmatch_with_its_chat(users, chats):
    _add(users, Role.MENTOR, "m@x.edu", current_mentees=["e@x.edu"])
    _add(users, Role.MENTEE, "e@x.edu", blacklisted_mentors=["m@x.edu"])

    _repair("e@x.edu")

    assert _state(users) == {"m@x.edu": (), "e@x.edu": (False, "", ("m@x.edu",))}
    assert chats == [("e@x.edu", "m@x.edu")]


def test_a_stale_unmatch_intent_is_rolled_forward(users, chats):
    _add(users, Role.MENTOR, "m@x.edu", current_mentees=["e@x.edu", "f@x.edu"])
    _add(users, Role.MENTEE, "e@x.edu", isMatched=True, matchedMentorEmail="m@x.edu")
    intent = _intent(IntentOp.UNMATCH, "e@x.edu", "m@x.edu")

    changes = _repair("e@x.edu", intent)

    assert changes[0] == "e@x.edu: unmatch from m@x.edu rolled forward (mentee cleared)"
    assert _state(users) == {
        "m@x.edu": ("f@x.edu",),
        "e@x.edu": (False, "", ("m@x.edu",)),
    }
    assert chats == [("e@x.edu", "m@x.edu")]


def test_an_unmatch_that_cleared_the_mentee_but_not_the_blacklist_is_finished(users, chats):
    _add(users, Role.MENTOR, "m@x.edu")
    _add(users, Role.MENTEE, "e@x.edu")

    _repair("e@x.edu", _intent(IntentOp.UNMATCH, "e@x.edu", "m@x.edu"))

    assert _state(users)["e@x.edu"] == (False, "", ("m@x.edu",))
    assert chats == [("e@x.edu", "m@x.edu")]


def test_a_stale_select_is_kept_when_both_sides_are_done_else_rolled_back(users, chats):
    _add(users, Role.MENTOR, "m@x.edu", current_mentees=["done@x.edu"])
    _add(users, Role.MENTEE, "done@x.edu", isMatched=True, matchedMentorEmail="m@x.edu")
    _add(users, Role.MENTEE, "half@x.edu", isMatched=True, matchedMentorEmail="m@x.edu")

    kept = _repair("done@x.edu", _intent(IntentOp.SELECT, "done@x.edu", "m@x.edu"))
    undone = _repair("half@x.edu", _intent(IntentOp.SELECT, "half@x.edu", "m@x.edu"))

    assert kept == ["done@x.edu: stale select intent (m@x.edu) resolved"]
    assert undone[0] == "half@x.edu: match with m@x.edu rolled back (not on that mentor's roster)"
    assert _state(users) == {
        "m@x.edu": ("done@x.edu",),
        "done@x.edu": (True, "m@x.edu", ()),
        "half@x.edu": (False, "", ()),
    }
    assert chats == []


def test_a_mentee_is_taken_off_every_roster_but_their_mentors(users, chats):
    _add(users, Role.MENTOR, "m@x.edu", current_mentees=["e@x.edu"])
    _add(users, Role.MENTOR, "n@x.edu", current_mentees=["e@x.edu", "f@x.edu"])
    _add(users, Role.MENTEE, "e@x.edu", isMatched=True, matchedMentorEmail="m@x.edu")

    assert _repair("e@x.edu") == ["e@x.edu: removed from n@x.edu's roster (not matched to them)"]
    assert _state(users)["n@x.edu"] == ("f@x.edu",)
    assert _state(users)["m@x.edu"] == ("e@x.edu",)


def test_a_planned_step_is_a_no_op_once_the_mentee_changed(users, chats):
    # Every step is conditional on what the plan read: a concurrent change wins.
    _add(users, Role.MENTOR, "m@x.edu")
    _add(users, Role.MENTEE, "e@x.edu", isMatched=True, matchedMentorEmail="m@x.edu")
    steps = repair._plan("e@x.edu", None)
    users.update_one({"email": "e@x.edu"}, {"$set": {"matchedMentorEmail": "n@x.edu"}})

    for _, action in steps:
        action()

    assert _state(users)["e@x.edu"] == (True, "n@x.edu", ())


def test_trim_rosters_drops_duplicates_and_seats_past_the_maximum(users):
    roster = ["a@x.edu", "a@x.edu", "b@x.edu", "c@x.edu"]
    _add(users, Role.MENTOR, "m@x.edu", current_mentees=roster)
    _add(users, Role.MENTOR, "n@x.edu", current_mentees=["d@x.edu"])

    dry = repair._trim_rosters(repair._mentors(), dry_run=True)
    assert _state(users)["m@x.edu"] == tuple(roster)
    changes = repair._trim_rosters(repair._mentors(), dry_run=False)

    assert changes == dry == ["m@x.edu: roster trimmed to 2 unique seat(s), evicted c@x.edu"]
    assert _state(users) == {"m@x.edu": ("a@x.edu", "b@x.edu"), "n@x.edu": ("d@x.edu",)}
    assert repair._trim_rosters(repair._mentors(), dry_run=False) == []


def test_trim_rosters_leaves_a_roster_that_changed_since_it_was_read(users):
    _add(users, Role.MENTOR, "m@x.edu", current_mentees=["a@x.edu", "a@x.edu"])
    mentors = repair._mentors()
    users.update_one({"email": "m@x.edu"}, {"$pull": {"current_mentees": "a@x.edu"}})

    repair._trim_rosters(mentors, dry_run=False)

    assert _state(users)["m@x.edu"] == ()
