"""Read-only queries of the matching app."""

from django.conf import settings
from django.db import connection

from core.documents import from_document
from matching import scoring
from matching.models import Score
from users.models import Role, User, normalize_email

# Who may take part in matching at all: active, not pending deletion, seeking.
OPEN_MENTORS = {
    "role": Role.MENTOR,
    "is_active": True,
    "deletion_requested_at": None,
    "is_seeking_mentee": True,
}
OPEN_MENTEES = {
    "role": Role.MENTEE,
    "is_active": True,
    "deletion_requested_at": None,
    "is_seeking_mentor": True,
}


def is_scorable(user: User) -> bool:
    """A profile needs a major and a known year to be scored."""
    return (
        user.role in (Role.MENTEE, Role.MENTOR)
        and any(m.strip() for m in user.major)
        and (scoring.parse_year(user.year) > 0)
    )


def has_free_seat(mentor: User) -> bool:
    return len(mentor.current_mentees) < settings.MAX_MENTEES


def ranked_matches(*, mentee: User) -> list[tuple[User, Score]]:
    """Eligible mentors for a mentee with their scores, best first, earlier sign-up first
    on ties. Two queries whatever the number of mentors. Leaves out blacklisted mentors,
    full rosters, mentors pending deletion, not seeking mentees or no longer scorable;
    a mentee not seeking a mentor sees none."""
    if not is_scorable(mentee) or not mentee.is_seeking_mentor:
        return []
    scores = {s.mentor_email: s for s in Score.objects.filter(mentee_email=mentee.email)}
    if not scores:
        return []
    blacklist = set(mentee.blacklisted_mentors)
    mentors = User.objects.filter(email__in=list(scores), **OPEN_MENTORS)
    eligible = [
        (m, scores[m.email])
        for m in mentors
        if m.email not in blacklist and has_free_seat(m) and is_scorable(m)
    ]
    eligible.sort(key=lambda pair: (-pair[1].score, pair[0].date_joined, str(pair[0].pk)))
    return eligible


def get_user_by_email(email: str) -> User | None:
    """One find_one (cheaper than the ORM's aggregation on the embedded server)."""
    users = connection.get_collection(User._meta.db_table)
    document = users.find_one({"email": normalize_email(email)}, {"sessions": 0})
    return None if document is None else from_document(User, document)


def mentees_of(*, mentor: User) -> list[User]:
    """The mentor's roster, in roster order, in one query."""
    roster = list(mentor.current_mentees)
    if not roster:
        return []
    found = {u.email: u for u in User.objects.filter(email__in=roster)}
    return [found[e] for e in mentor.current_mentees if e in found]
