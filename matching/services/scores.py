"""Computing and storing scores: embeddings encoded once per profile text, vectorised maths,
batched writes. The rules themselves are in matching.scoring (pure functions)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from django.db import connection
from django.utils import timezone
from pymongo import UpdateOne

from matching import scoring
from matching.models import ProfileEmbedding, Score
from matching.selectors import is_scorable
from users.models import CATEGORY_FIELDS, Role, User

# Changing any of these can change a user's scores.
SCORING_FIELDS = frozenset(
    {"major", "minor", "hobbies", "clubs", "goals", "year", "role", *CATEGORY_FIELDS}
)
_USER_FIELDS = ("email", "role", "date_joined", *sorted(SCORING_FIELDS - {"role"}))
DEFAULT_BATCH_SIZE = 1000

Progress = Callable[[int, int], None]


def profile_of(user: User) -> scoring.Profile:
    return scoring.Profile(
        major=tuple(user.major),
        minor=tuple(user.minor),
        hobbies=user.hobbies,
        clubs=user.clubs,
        goals=user.goals,
        year=user.year,
        categories=frozenset(user.special_categories),
    )


def _scorable(role: str) -> list[User]:
    users = User.objects.filter(role=role).only(*_USER_FIELDS).order_by("date_joined", "pk")
    return [u for u in users if is_scorable(u)]


def _store_embeddings(rows: list[tuple[str, str, np.ndarray]]) -> None:
    now = timezone.now()
    ops = [
        UpdateOne(
            {"email": email},
            {"$set": {"fingerprint": fp, "vector": vec.astype("<f4").tobytes(), "updated_at": now}},
            upsert=True,
        )
        for email, fp, vec in rows
    ]
    if ops:
        connection.get_collection(ProfileEmbedding._meta.db_table).bulk_write(ops, ordered=False)


def embeddings_for(users: Sequence[User]) -> np.ndarray:
    """One L2-normalised row per user: stored vectors reused, each distinct stale text
    encoded once (in one batched call), and the new vectors stored."""
    texts = [scoring.build_profile_text(profile_of(u)) for u in users]
    prints = [scoring.text_fingerprint(t) for t in texts]
    stored = {
        e.email: e for e in ProfileEmbedding.objects.filter(email__in=[u.email for u in users])
    }
    vecs = np.zeros((len(users), scoring.EMBEDDING_DIM), dtype=np.float32)
    stale: dict[str, list[int]] = {}
    for i, user in enumerate(users):
        hit = stored.get(user.email)
        if hit is not None and hit.fingerprint == prints[i]:
            vecs[i] = np.frombuffer(bytes(hit.vector), dtype="<f4")
        else:
            stale.setdefault(texts[i], []).append(i)
    if stale:
        distinct = list(stale)
        encoded = scoring.encode(distinct)
        for row, text in zip(encoded, distinct, strict=True):
            vecs[stale[text]] = row
        _store_embeddings(
            [(users[i].email, prints[i], vecs[i]) for idx in stale.values() for i in idx]
        )
    return vecs


@dataclass
class _Table:
    mentees: list[User]
    mentors: list[User]
    text: np.ndarray
    year: np.ndarray
    categories: np.ndarray
    total: np.ndarray


def _compute(mentees: list[User], mentors: list[User], vecs: np.ndarray) -> _Table:
    m = len(mentees)
    parts = scoring.score_matrix(
        [profile_of(u) for u in mentees], [profile_of(u) for u in mentors], vecs[:m], vecs[m:]
    )
    return _Table(mentees, mentors, *parts)


def _write(table: _Table, *, batch_size: int, progress: Progress | None = None) -> int:
    """Upsert every cell of the table in batches: the score table stays readable throughout."""
    collection = connection.get_collection(Score._meta.db_table)
    cells = len(table.mentees) * len(table.mentors)
    now = timezone.now()
    done = 0
    ops: list[UpdateOne] = []
    for i, mentee in enumerate(table.mentees):
        for j, mentor in enumerate(table.mentors):
            ops.append(
                UpdateOne(
                    {"mentee_email": mentee.email, "mentor_email": mentor.email},
                    {
                        "$set": {
                            "score": float(table.total[i, j]),
                            "text": float(table.text[i, j]),
                            "year": float(table.year[i, j]),
                            "categories": float(table.categories[i, j]),
                            "updated_at": now,
                        },
                        "$setOnInsert": {"created_at": now},
                    },
                    upsert=True,
                )
            )
            if len(ops) >= batch_size:
                collection.bulk_write(ops, ordered=False)
                done += len(ops)
                ops = []
                if progress:
                    progress(done, cells)
    if ops:
        collection.bulk_write(ops, ordered=False)
        done += len(ops)
        if progress:
            progress(done, cells)
    return done


def remove_user_scores(*, email: str) -> None:
    """Delete every score and the stored embedding of one user."""
    Score.objects.filter(mentee_email=email).delete()
    Score.objects.filter(mentor_email=email).delete()
    ProfileEmbedding.objects.filter(email=email).delete()


def refresh_scores_for_user(*, user: User, batch_size: int = DEFAULT_BATCH_SIZE) -> int:
    """Rescore one user against every counterpart: a mentee's row or a mentor's column.

    At most one encode (this user's text, when it changed), array maths against every
    counterpart, batched upserts. A user who is not scorable loses their scores.
    Returns the number of scores written.
    """
    if user.role not in (Role.MENTEE, Role.MENTOR):
        return 0
    if not is_scorable(user):
        remove_user_scores(email=user.email)
        return 0
    mentee_side = user.role == Role.MENTEE
    others = _scorable(Role.MENTOR if mentee_side else Role.MENTEE)
    mentees, mentors = ([user], others) if mentee_side else (others, [user])
    vecs = embeddings_for([*mentees, *mentors])
    written = _write(_compute(mentees, mentors, vecs), batch_size=batch_size)
    other_emails = [u.email for u in others]
    if mentee_side:
        Score.objects.filter(mentee_email=user.email).exclude(
            mentor_email__in=other_emails
        ).delete()
    else:
        Score.objects.filter(mentor_email=user.email).exclude(
            mentee_email__in=other_emails
        ).delete()
    return written


def refresh_scores_after_save(*, user: User, update_fields=None) -> int:
    """refresh_scores_for_user after a save (post_save), unless the save named its fields
    and none of them is a scoring field."""
    # Saves that touch no scoring field (last_login, password, matching state) cost nothing.
    if update_fields is not None and not SCORING_FIELDS & set(update_fields):
        return 0
    return refresh_scores_for_user(user=user)


def refresh_scores_for_users(
    *, emails: Sequence[str], batch_size: int = DEFAULT_BATCH_SIZE, progress: Progress | None = None
) -> int:
    """Rescore many users at once (a roster import): the affected mentees' rows and the
    affected mentors' columns, in one pass — each stale text encoded once, one matrix per
    side, batched upserts. Affected users who are not scorable lose their scores. Returns
    the number of scores written. Idempotent."""
    affected = set(emails)
    if not affected:
        return 0
    mentees, mentors = _scorable(Role.MENTEE), _scorable(Role.MENTOR)
    scorable = {u.email for u in (*mentees, *mentors)}
    gone = sorted(affected - scorable)
    if gone:
        Score.objects.filter(mentee_email__in=gone).delete()
        Score.objects.filter(mentor_email__in=gone).delete()
    rows = [u for u in mentees if u.email in affected]
    columns = [u for u in mentors if u.email in affected]
    # The affected mentors' columns only for mentees whose whole row is not written anyway.
    others = [u for u in mentees if u.email not in affected] if columns else []
    people = {u.email: u for u in (*rows, *(mentors if rows else ()), *others, *columns)}
    order = list(people.values())
    index = {u.email: i for i, u in enumerate(order)}
    vecs = embeddings_for(order)

    def table(side_a: list[User], side_b: list[User]) -> _Table:
        picked = np.array([index[u.email] for u in (*side_a, *side_b)], dtype=int)
        return _compute(side_a, side_b, vecs[picked])

    written = 0
    for side_a, side_b in ((rows, mentors), (others, columns)):
        if side_a and side_b:
            written += _write(table(side_a, side_b), batch_size=batch_size, progress=progress)
    return written


@dataclass
class RecalculationSummary:
    mentees: int
    mentors: int
    scores: int
    encoded: int
    removed: int


def recalculate_all_scores(
    *, batch_size: int = DEFAULT_BATCH_SIZE, progress: Progress | None = None
) -> RecalculationSummary:
    """Rebuild every score: each distinct profile text encoded at most once, the whole
    mentee × mentor matrix computed with array operations, written in batches; scores of
    users no longer scorable are removed. Idempotent."""
    mentees, mentors = _scorable(Role.MENTEE), _scorable(Role.MENTOR)
    before = scoring.encode_count
    vecs = embeddings_for([*mentees, *mentors])
    encoded = scoring.encode_count - before
    table = _compute(mentees, mentors, vecs)
    written = _write(table, batch_size=batch_size, progress=progress)
    removed = Score.objects.exclude(mentee_email__in=[u.email for u in mentees]).delete()[0]
    removed += Score.objects.exclude(mentor_email__in=[u.email for u in mentors]).delete()[0]
    return RecalculationSummary(len(mentees), len(mentors), written, encoded, removed)
