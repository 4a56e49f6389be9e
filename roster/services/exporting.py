"""CSV exports for coordinators: current pairs, mentor rosters, unmatched mentees.

Written with the csv module (UTF-8, "\\r\\n" rows as RFC 4180 says). Every text cell that a
spreadsheet would read as a formula (starting with = + - @, tab or carriage return) gets a
leading apostrophe (OWASP "CSV injection"): names, hobbies and emails come from users.
Numbers are written as numbers.
"""

import csv
from collections.abc import Iterable, Iterator
from typing import TextIO

from django.conf import settings

from matching.models import Score
from matching.selectors import OPEN_MENTORS
from roster.selectors import unmatched_mentees
from users.models import Role, User
from users.serializers import iso

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
WALK_BATCH = 500

MATCH_COLUMNS = (
    "mentee_email",
    "mentee_name",
    "mentor_email",
    "mentor_name",
    "score",
    "text",
    "year",
    "categories",
    "matched_at",
)
ROSTER_COLUMNS = (
    "mentor_email",
    "mentor_name",
    "taking_mentees",
    "capacity",
    "seats_used",
    "mentees",
)
UNMATCHED_COLUMNS = ("mentee_email", "mentee_name", "reason", "detail")


def safe_cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(out: TextIO, columns: tuple[str, ...], rows: Iterable[list]) -> int:
    """Write the header and the rows; returns the number of rows."""
    writer = csv.writer(out)
    writer.writerow(columns)
    count = 0
    for row in rows:
        writer.writerow([safe_cell("" if value is None else value) for value in row])
        count += 1
    return count


def walk(queryset, *, batch: int = WALK_BATCH) -> Iterator:
    """The queryset's objects in pk order, by keyset pages (no offsets, bounded memory)."""
    last = None
    while True:
        page = queryset.order_by("pk")
        if last is not None:
            page = page.filter(pk__gt=last)
        objects = list(page[:batch])
        yield from objects
        if len(objects) < batch:
            return
        last = objects[-1].pk


def _name(user: User) -> str:
    return f"{user.firstName.strip()} {user.lastName.strip()}".strip()


def match_rows(*, emails: set[str] | None = None) -> Iterator[list]:
    """Current pairs: mentees matched to a mentor whose roster holds them (a half-formed
    match that the repair would undo is left out). emails keeps pairs with either side in it."""
    mentors = {m.email: m for m in User.objects.filter(role=Role.MENTOR)}
    pairs = []
    for mentee in walk(User.objects.filter(role=Role.MENTEE, isMatched=True)):
        mentor = mentors.get(mentee.matchedMentorEmail)
        if mentor is None or mentee.email not in mentor.current_mentees:
            continue
        if emails is None or {mentee.email, mentor.email} & emails:
            pairs.append((mentee, mentor))
    for start in range(0, len(pairs), WALK_BATCH):
        page = pairs[start : start + WALK_BATCH]
        scores = {
            (s.mentee_email, s.mentor_email): s
            for s in Score.objects.filter(mentee_email__in=[m.email for m, _ in page])
        }
        for mentee, mentor in page:
            score = scores.get((mentee.email, mentor.email))
            parts = (score.score, score.text, score.year, score.categories) if score else ()
            yield [
                mentee.email,
                _name(mentee),
                mentor.email,
                _name(mentor),
                *([round(v, 4) for v in parts] or [None] * 4),
                iso(mentee.matched_at),
            ]


def roster_rows(*, emails: set[str] | None = None) -> Iterator[list]:
    """Every mentor (or those in emails) with capacity, seats used and the mentees."""
    taking = set(User.objects.filter(**OPEN_MENTORS).values_list("email", flat=True))
    for mentor in walk(User.objects.filter(role=Role.MENTOR)):
        if emails is not None and mentor.email not in emails:
            continue
        yield [
            mentor.email,
            _name(mentor),
            "yes" if mentor.email in taking else "no",
            settings.MAX_MENTEES,
            len(mentor.current_mentees),
            ";".join(mentor.current_mentees),
        ]


def unmatched_rows(*, emails: set[str] | None = None) -> Iterator[list]:
    for item in unmatched_mentees(emails=emails):
        yield [item.mentee.email, _name(item.mentee), item.reason, item.detail]


EXPORTS = {
    "matches": (MATCH_COLUMNS, match_rows),
    "rosters": (ROSTER_COLUMNS, roster_rows),
    "unmatched": (UNMATCHED_COLUMNS, unmatched_rows),
}


def export(kind: str, out: TextIO, *, emails: set[str] | None = None) -> int:
    """Write one export ("matches", "rosters", "unmatched") as CSV; returns the row count."""
    columns, rows = EXPORTS[kind]
    return write_csv(out, columns, rows(emails=emails))
