"""Read-only queries of the matching app."""

from django.conf import settings
from django.db import connection

from matching import scoring
from matching.models import Score
from users.models import Role, User

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


# What a match list shows of a mentor or ranks by (serializers.serialize_mentor, has_free_seat,
# is_scorable, the tie-break): the rest of each document stays on the server.
MENTOR_CARD_FIELDS = (
    "email", "role", "firstName", "lastName", "major", "minor", "year", "hobbies", "clubs",
    "goals", "international", "commuter", "firstgen", "outofstate", "transfer",
    "current_mentees", "date_joined",
)  # fmt: skip
SCORE_FIELDS = ("mentor_email", "score", "text", "year", "categories")
# Fills a field a stored document lacks (as the ORM would), e.g. one written before the field.
_CARD_DEFAULTS = {name: User._meta.get_field(name).get_default() for name in MENTOR_CARD_FIELDS}
# Batches large enough that a whole list comes back in one reply (MongoDB's first batch is
# otherwise 101 documents, and every further batch a getMore round trip).
LIST_BATCH = 10_000


class MentorCard:
    """A mentor's projected document (MENTOR_CARD_FIELDS) as the attributes serialize_mentor,
    has_free_seat and is_scorable read, with User's own properties for the derived ones. Not
    a model instance: building one per row cost more than the rest of the list together."""

    full_name = User.full_name
    special_categories = User.special_categories

    def __init__(self, document: dict) -> None:
        self.__dict__.update(_CARD_DEFAULTS)
        self.__dict__.update(document)
        self.pk = document["_id"]


def ranked_matches(*, mentee: User) -> list[tuple[MentorCard, dict]]:
    """Eligible mentors for a mentee with their scores (a dict of SCORE_FIELDS), best first,
    earlier sign-up first on ties. Two finds whatever the number of mentors. Leaves out
    blacklisted mentors, full rosters, mentors pending deletion, not seeking mentees or no
    longer scorable; a mentee not seeking a mentor sees none.

    Raw finds with projections, not the ORM: the list is read on every visit to the match
    page, and its hundreds of rows cost the ORM (an aggregation, every field, a model per
    Score) several times what two projected finds cost. Compared with the ORM's rows by
    matching/tests/test_ranked_matches.py."""
    if not is_scorable(mentee) or not mentee.is_seeking_mentor:
        return []
    found = connection.get_collection(Score._meta.db_table).find(
        {"mentee_email": mentee.email},
        {"_id": 0, **dict.fromkeys(SCORE_FIELDS, 1)},
        batch_size=LIST_BATCH,
    )
    scores = {score["mentor_email"]: score for score in found}
    if not scores:
        return []
    blacklist = set(mentee.blacklisted_mentors)
    mentors = connection.get_collection(User._meta.db_table).find(
        OPEN_MENTORS, dict.fromkeys(MENTOR_CARD_FIELDS, 1), batch_size=LIST_BATCH
    )
    eligible = []
    for document in mentors:
        email = document["email"]
        if email not in scores or email in blacklist:
            continue
        mentor = MentorCard(document)
        if has_free_seat(mentor) and is_scorable(mentor):
            eligible.append((mentor, scores[email]))
    eligible.sort(key=lambda pair: (-pair[1]["score"], pair[0].date_joined, str(pair[0].pk)))
    return eligible


def mentees_of(*, mentor: User) -> list[User]:
    """The mentor's roster, in roster order, in one query."""
    roster = list(mentor.current_mentees)
    if not roster:
        return []
    found = {u.email: u for u in User.objects.filter(email__in=roster)}
    return [found[e] for e in mentor.current_mentees if e in found]
