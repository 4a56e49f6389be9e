"""The match list's per-process cache of mentor cards (matching/selectors.py CardCache): every
write through the model shows at the next list, the address and the roster are always read
afresh, and a write that bypassed the model shows once the cache's age bound has passed."""

import datetime
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from core.db_commands import counting
from matching import selectors
from matching.tests.round_factories import cohort
from matching.tests.test_ranked_matches import _listed, _reference
from users.models import CARD_FIELDS, User

pytestmark = pytest.mark.django_db


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    """The process's cache with a clock the test moves."""
    clock = Clock()
    monkeypatch.setattr(selectors, "CARD_CACHE", selectors.CardCache(clock=clock))
    return clock


def _names(mentee: User) -> dict[str, str]:
    return {m["email"]: m["name"] for m in _listed(mentee)}


def _users():
    return connection.get_collection(User._meta.db_table)


def _finds_of_users(mentee: User) -> int:
    with counting() as log, log.recording() as commands:
        selectors.ranked_matches(mentee=mentee)
    return commands.count(("find", User._meta.db_table))


def test_every_model_write_of_a_card_field_shows_at_the_next_list(clock):
    (mentee,), mentors = cohort(lambda i, j: 50.0 + j, 1, 4)
    assert _names(mentee)  # every card cached now
    a, b, c, d = mentors

    a.firstName = "Saved"
    a.save(update_fields=["firstName"])
    User.objects.filter(pk=b.pk).update(firstName="Updated")
    c.firstName = "Bulk"
    User.objects.bulk_update([c], ["firstName"])
    d.refresh_from_db()
    d.firstName = "Whole"
    d.save()  # every field, as the admin's form and the profile endpoints save

    names = _names(mentee)
    assert [names[m.email].split()[0] for m in (a, b, c, d)] == [
        "Saved",
        "Updated",
        "Bulk",
        "Whole",
    ]
    assert _listed(mentee) == _reference(mentee)


def test_a_write_of_no_card_field_keeps_the_card_and_its_revision(clock):
    (mentee,), (mentor,) = cohort(lambda i, j: 50.0, 1, 1)
    _listed(mentee)
    mentor.refresh_from_db()
    before = mentor.card_rev
    mentor.last_login = mentor.date_joined
    mentor.save(update_fields=["last_login"])
    User.objects.filter(pk=mentor.pk).update(requirements="none")
    mentor.refresh_from_db()
    assert mentor.card_rev == before
    assert _finds_of_users(mentee) == 1  # the addresses and rosters only


def test_every_card_field_is_read_from_the_document_after_a_change(clock):
    """Each field of CARD_FIELDS, changed through a queryset update, appears in the list at
    once: the card carries every one of them, and each write of one changes card_rev."""
    (mentee,), (mentor,) = cohort(lambda i, j: 50.0, 1, 1)
    _listed(mentee)
    changes = {
        "firstName": "Ada",
        "lastName": "Lovelace",
        "major": ["Mathematics"],
        "minor": ["Music"],
        "year": "5+",
        "hobbies": "engines",
        "clubs": "analytical society",
        "goals": "publish notes",
        "international": True,
        "commuter": True,
        "firstgen": True,
        "outofstate": True,
        "transfer": True,
        "date_joined": datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC),
    }
    assert set(changes) == CARD_FIELDS - {"role"}  # a role change leaves the list (below)
    for field, value in changes.items():
        User.objects.filter(pk=mentor.pk).update(**{field: value})
        assert _listed(mentee) == _reference(mentee), field
    User.objects.filter(pk=mentor.pk).update(role="MENTEE")
    assert _listed(mentee) == [] == _reference(mentee)


def test_the_address_and_the_roster_are_read_afresh_every_time(clock):
    (mentee,), (mentor, other) = cohort(lambda i, j: 50.0 + j, 1, 2)
    assert len(_listed(mentee)) == 2
    # Raw writes, as the matching services make them: no card_rev change.
    full = [f"x{i}@example.edu" for i in range(settings.MAX_MENTEES)]
    _users().update_one({"_id": mentor.pk}, {"$set": {"current_mentees": full}})
    assert [m["email"] for m in _listed(mentee)] == [other.email]
    _users().update_one({"_id": mentor.pk}, {"$set": {"current_mentees": full[:1]}})
    _users().update_one({"_id": other.pk}, {"$set": {"is_seeking_mentee": False}})
    slots = settings.MAX_MENTEES - 1
    assert [(m["email"], m["available_slots"]) for m in _listed(mentee)] == [(mentor.email, slots)]
    assert _finds_of_users(mentee) == 1


def test_a_mentor_deleted_meanwhile_is_left_out(clock):
    (mentee,), (mentor, other) = cohort(lambda i, j: 50.0 + j, 1, 2)
    assert len(_listed(mentee)) == 2
    User.objects.filter(pk=other.pk).update(firstName="New")  # its card must be read again
    open_mentors = list(
        _users().find(selectors.OPEN_MENTORS, dict.fromkeys(selectors.FRESH_FIELDS, 1))
    )
    _users().delete_one({"_id": other.pk})  # between the two finds of a list
    cards = selectors.CARD_CACHE.cards(open_mentors)
    assert [card.email for card in cards] == [mentor.email]


def test_a_write_that_bypassed_the_model_shows_after_the_age_bound(clock):
    (mentee,), (mentor,) = cohort(lambda i, j: 50.0, 1, 1)
    _listed(mentee)
    _users().update_one({"_id": mentor.pk}, {"$set": {"firstName": "ByHand"}})
    clock.now += selectors.CARD_CACHE_SECONDS
    assert "ByHand" not in _names(mentee)[mentor.email]
    clock.now += 1
    assert _names(mentee)[mentor.email].startswith("ByHand")


def test_the_cache_forgets_mentors_no_longer_open(clock):
    (mentee,), mentors = cohort(lambda i, j: 50.0, 1, 30)
    _listed(mentee)
    assert len(selectors.CARD_CACHE.entries) == 30
    # The cache is pruned when it reads cards: make it read the one left open.
    User.objects.filter(pk=mentors[0].pk).update(firstName="Renamed")
    closed = [mentor.pk for mentor in mentors[1:]]
    _users().update_many({"_id": {"$in": closed}}, {"$set": {"is_active": False}})
    for i in range(200):  # more mentors have come and gone than the cache keeps
        selectors.CARD_CACHE.entries[f"gone{i}"] = ("", clock.now, {})
    _listed(mentee)
    assert set(selectors.CARD_CACHE.entries) == {mentors[0].pk}


@pytest.mark.parametrize("seed", [1, 2])
def test_lists_between_random_writes_equal_the_orm_list(clock, seed):
    """Random writes through every path (save with and without fields, queryset update,
    bulk_update, raw matching-state writes, the clock passing the age bound), each followed
    by a list compared with the ORM's reading of the same database."""
    rng = random.Random(seed)
    (mentee,), mentors = cohort(lambda i, j: rng.choice([40.0, 55.5, 70.25]), 1, 12)
    values = {
        "firstName": lambda: rng.choice(["Ana", "Ben", "Cy", ""]),
        "year": lambda: rng.choice(["1", "2", "3", "5+", ""]),
        "major": lambda: rng.choice([["Physics"], [], ["Art", "History"]]),
        "international": lambda: rng.random() < 0.5,
        "date_joined": lambda: datetime.datetime(2024, 1, rng.randint(1, 3), tzinfo=datetime.UTC),
    }
    for _ in range(40):
        mentor = rng.choice(mentors)
        field = rng.choice(list(values))
        way = rng.randrange(5)
        if way == 0:
            mentor.refresh_from_db()
            setattr(mentor, field, values[field]())
            mentor.save(update_fields=[field])
        elif way == 1:
            User.objects.filter(pk=mentor.pk).update(**{field: values[field]()})
        elif way == 2:
            picked = rng.sample(mentors, 3)
            for m in picked:
                m.refresh_from_db()
                setattr(m, field, values[field]())
            User.objects.bulk_update(picked, [field])
        elif way == 3:
            seats = rng.randrange(settings.MAX_MENTEES + 1)
            roster = [f"s{i}@example.edu" for i in range(seats)]
            _users().update_one({"_id": mentor.pk}, {"$set": {"current_mentees": roster}})
        else:
            clock.now += rng.choice([1.0, selectors.CARD_CACHE_SECONDS + 1])
        assert _listed(mentee) == _reference(mentee)


EDIT_ELSEWHERE = """
import os, django
django.setup()
from django.db import connections
from django.test import Client
connections["default"].settings_dict["NAME"] = os.environ["CARDS_DB_NAME"]
from users import tokens
from users.models import User
access = tokens.issue_tokens(User.objects.get(email=os.environ["CARDS_MENTOR"]))["access"]
response = Client(HTTP_HOST="localhost").put(
    "/matching/profile/",
    {"firstName": "Elsewhere"},
    content_type="application/json",
    HTTP_AUTHORIZATION=f"Bearer {access}",
)
assert response.status_code == 200, response.content
"""


@pytest.mark.django_db(transaction=True)
def test_an_edit_through_another_process_shows_at_the_next_list(api):
    """The mentor edits their profile through another process (as another gunicorn worker
    would serve it); this process, which holds the card, shows the edit at its next list."""
    (mentee,), (mentor,) = cohort(lambda i, j: 50.0, 1, 1)
    client = api(mentee)
    assert client.get("/matching/matches/").json()["matches"][0]["name"] != "Elsewhere"
    assert len(selectors.CARD_CACHE.entries) == 1
    done = subprocess.run(
        [sys.executable, "-c", EDIT_ELSEWHERE],
        cwd=Path(__file__).resolve().parents[2],
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.test_settings",
            "CARDS_DB_NAME": connection.settings_dict["NAME"],
            "CARDS_MENTOR": mentor.email,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    shown = client.get("/matching/matches/").json()["matches"]
    assert [m["name"].split()[0] for m in shown] == ["Elsewhere"]
