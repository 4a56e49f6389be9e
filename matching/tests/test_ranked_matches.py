"""selectors.ranked_matches reads raw projected documents: it must list exactly what the ORM
reads of the same cohort, in the same order, with the same mentor payloads."""

import datetime
import random

import pytest
from django.conf import settings
from django.utils import timezone

from core.db_commands import counting
from matching import selectors
from matching.models import Score
from matching.serializers import serialize_mentor
from matching.tests.round_factories import cohort
from users.models import User

pytestmark = pytest.mark.django_db


def _reference(mentee: User) -> list[dict]:
    """The list as the ORM reads it (the selector's code before it read raw documents)."""
    if not selectors.is_scorable(mentee) or not mentee.is_seeking_mentor:
        return []
    scores = {s.mentor_email: s for s in Score.objects.filter(mentee_email=mentee.email)}
    mentors = User.objects.filter(email__in=list(scores), **selectors.OPEN_MENTORS)
    eligible = [
        (m, scores[m.email])
        for m in mentors
        if m.email not in mentee.blacklisted_mentors
        and selectors.has_free_seat(m)
        and selectors.is_scorable(m)
    ]
    eligible.sort(key=lambda pair: (-pair[1].score, pair[0].date_joined, str(pair[0].pk)))
    return [
        serialize_mentor(
            m, {"score": s.score, "text": s.text, "year": s.year, "categories": s.categories}
        )
        for m, s in eligible
    ]


def _listed(mentee: User) -> list[dict]:
    return [serialize_mentor(m, s) for m, s in selectors.ranked_matches(mentee=mentee)]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_raw_list_equals_the_orm_list(seed):
    rng = random.Random(seed)
    # Scores from a few values, so ties (broken by sign-up, then id) are common; some pairs
    # have no score row at all.
    (mentee,), mentors = cohort(
        lambda i, j: None if rng.random() < 0.1 else rng.choice([40.0, 55.5, 70.25]), 1, 40
    )
    start = timezone.now() - datetime.timedelta(days=10)
    for mentor in mentors:
        change = {"date_joined": start + datetime.timedelta(hours=rng.randint(0, 3))}
        roll = rng.random()
        if roll < 0.08:
            change["current_mentees"] = [f"x{i}@example.edu" for i in range(settings.MAX_MENTEES)]
        elif roll < 0.16:
            change["current_mentees"] = ["one@example.edu"]
        elif roll < 0.22:
            change["deletion_requested_at"] = start
        elif roll < 0.28:
            change["is_seeking_mentee"] = False
        elif roll < 0.34:
            change["is_active"] = False
        elif roll < 0.40:
            change["major"] = []
        elif roll < 0.46:
            change["year"] = ""
        User.objects.filter(pk=mentor.pk).update(**change)
    banned = [m.email for m in rng.sample(mentors, 4)]
    User.objects.filter(pk=mentee.pk).update(blacklisted_mentors=banned)
    mentee.refresh_from_db()

    want = _reference(mentee)
    got = _listed(mentee)
    assert got == want
    assert len(got) >= 10  # the cohort leaves a real list to compare
    assert not {m["email"] for m in got} & set(banned)


def test_a_mentee_not_seeking_or_unscorable_gets_nothing():
    (mentee,), _ = cohort(lambda i, j: 50.0, 1, 3)
    assert len(_listed(mentee)) == 3
    mentee.is_seeking_mentor = False
    assert _listed(mentee) == [] == _reference(mentee)
    mentee.is_seeking_mentor, mentee.year = True, ""
    assert _listed(mentee) == [] == _reference(mentee)


def test_a_long_list_is_three_commands_then_two():
    # Past MongoDB's default first batch (101 documents), a find's further batches are
    # getMore round trips: every find asks for the whole list in its first reply. Once this
    # process holds the cards, their find is left out.
    (mentee,), _ = cohort(lambda i, j: float(j % 7), 1, 150)
    with counting() as log:
        with log.recording() as cold:
            got = _listed(mentee)
        with log.recording() as warm:
            again = _listed(mentee)
    assert len(got) == 150
    assert again == got
    scores, users = ("find", Score._meta.db_table), ("find", User._meta.db_table)
    assert cold == [scores, users, users]
    assert warm == [scores, users]
