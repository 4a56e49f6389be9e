"""Read-only queries of the matching app."""

import time

from django.conf import settings
from django.db import connection

from matching import scoring
from matching.models import Score
from users.models import CARD_FIELDS, Role, User

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
    return roster_has_room(mentor.current_mentees)


def roster_has_room(roster: list[str]) -> bool:
    return len(roster) < settings.MAX_MENTEES


# What a match list shows of a mentor or ranks by (serializers.serialize_mentor, has_free_seat,
# is_scorable, the tie-break): the rest of each document stays on the server. The address
# and the roster are read afresh on every list; the rest (users.models.CARD_FIELDS) comes
# from this process's cache of cards while the mentor's card_rev is unchanged.
FRESH_FIELDS = ("email", "current_mentees", "card_rev")
MENTOR_CARD_FIELDS = ("email", *sorted(CARD_FIELDS), "current_mentees")
SCORE_FIELDS = ("mentor_email", "score", "text", "year", "categories")
# Fills a field a stored document lacks (as the ORM would), e.g. one written before the field.
_CARD_DEFAULTS = {name: User._meta.get_field(name).get_default() for name in MENTOR_CARD_FIELDS}
# Batches large enough that a whole list comes back in one reply (MongoDB's first batch is
# otherwise 101 documents, and every further batch a getMore round trip).
LIST_BATCH = 10_000
# A cached card is read again after this long even with an unchanged card_rev: the bound on
# how long a write that bypassed the model (by hand in the database, say) stays unseen.
CARD_CACHE_SECONDS = 60.0


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


class CardCache:
    """This process's mentor cards: _id -> (card_rev, when read, the CARD_FIELDS document).

    A match list reads every open mentor's address, roster and card_rev (a small projected
    find), then the cards only of the mentors it would show whose entry is missing, has
    another card_rev or is older than CARD_CACHE_SECONDS (a find by _id, made only when
    there are some). The full cards were most of the list's database time: 289 of them
    cost the embedded server 10-18 ms against 4-6 ms for the small find (docs/architecture.md
    "The match list").
    Threads share it; an entry is replaced whole, and a lost update only costs a re-read."""

    def __init__(self, clock=time.monotonic) -> None:
        self.clock = clock
        self.entries: dict = {}

    def clear(self) -> None:
        self.entries = {}

    def cards(self, fresh: list[dict]) -> list[MentorCard]:
        """MentorCards for these documents (FRESH_FIELDS of each), in their order; a mentor
        whose card is gone from the database by now is left out."""
        now = self.clock()
        entries = self.entries
        stale = {
            doc["_id"]
            for doc in fresh
            if (entry := entries.get(doc["_id"])) is None
            or entry[0] != doc.get("card_rev", "")
            or now - entry[1] > CARD_CACHE_SECONDS
        }
        read = {}
        if stale:
            for doc in connection.get_collection(User._meta.db_table).find(
                {"_id": {"$in": list(stale)}},
                {"card_rev": 1, **dict.fromkeys(CARD_FIELDS, 1)},
                batch_size=LIST_BATCH,
            ):
                read[doc["_id"]] = entries[doc["_id"]] = (doc.pop("card_rev", ""), now, doc)
            if len(entries) > 2 * len(fresh) + 100:  # mentors gone or closed: forget them
                keep = {doc["_id"] for doc in fresh}
                self.entries = {pk: entry for pk, entry in entries.items() if pk in keep}
        cards = []
        for doc in fresh:
            entry = read.get(doc["_id"]) if doc["_id"] in stale else entries[doc["_id"]]
            if entry is not None:  # None: deleted since the first find
                cards.append(MentorCard({**entry[2], **doc}))
        return cards


CARD_CACHE = CardCache()


def ranked_matches(*, mentee: User) -> list[tuple[MentorCard, dict]]:
    """Eligible mentors for a mentee with their scores (a dict of SCORE_FIELDS), best first,
    earlier sign-up first on ties. Three finds whatever the number of mentors, two when this
    process holds their cards (CardCache). Leaves out blacklisted mentors, full rosters,
    mentors pending deletion, not seeking mentees or no longer scorable; a mentee not seeking
    a mentor sees none.

    Raw finds with projections, not the ORM: the list is read on every visit to the match
    page, and its hundreds of rows cost the ORM (an aggregation, every field, a model per
    Score) several times what projected finds cost. Compared with the ORM's rows by
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
    open_mentors = connection.get_collection(User._meta.db_table).find(
        OPEN_MENTORS, dict.fromkeys(FRESH_FIELDS, 1), batch_size=LIST_BATCH
    )
    candidates = [
        doc
        for doc in open_mentors
        if doc["email"] in scores
        and doc["email"] not in blacklist
        and roster_has_room(doc.get("current_mentees", []))
    ]
    eligible = [
        (mentor, scores[mentor.email])
        for mentor in CARD_CACHE.cards(candidates)
        if is_scorable(mentor)
    ]
    eligible.sort(key=lambda pair: (-pair[1]["score"], pair[0].date_joined, str(pair[0].pk)))
    return eligible


def mentees_of(*, mentor: User) -> list[User]:
    """The mentor's roster, in roster order, in one query."""
    roster = list(mentor.current_mentees)
    if not roster:
        return []
    found = {u.email: u for u in User.objects.filter(email__in=roster)}
    return [found[e] for e in mentor.current_mentees if e in found]
