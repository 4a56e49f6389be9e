"""Scorable mentees and mentors with the scores a test chooses, without the embedding model:
bulk_create sends no post_save, so no scoring runs; the Score rows are written directly."""

from matching.models import Score
from users.tests.factories import MenteeFactory, MentorFactory

SCORABLE = {"major": ["Computer Science"], "hobbies": "chess", "goals": "internship"}


def _saved(factory, count: int, year: str):
    built = [factory.build(year=year, **SCORABLE) for _ in range(count)]
    return list(type(built[0]).objects.bulk_create(built)) if built else []


def cohort(score, mentees: int, mentors: int):
    """(mentees, mentors) with Score(i, j) = score(i, j) (None: no score row)."""
    mentee_users = _saved(MenteeFactory, mentees, "1")
    mentor_users = _saved(MentorFactory, mentors, "3")
    rows = [
        Score(mentee_email=a.email, mentor_email=b.email, score=value)
        for i, a in enumerate(mentee_users)
        for j, b in enumerate(mentor_users)
        if (value := score(i, j)) is not None
    ]
    Score.objects.bulk_create(rows)
    return mentee_users, mentor_users


def set_score(mentee, mentor, score: float) -> None:
    Score.objects.update_or_create(
        mentee_email=mentee.email, mentor_email=mentor.email, defaults={"score": score}
    )
