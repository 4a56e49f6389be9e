"""Matching rounds: gather the cohort, solve one objective, store a draft with its quality
report; publish a draft as admin invitations or direct matches (API.md "Preferences and
rounds").

The solvers and the report are pure functions (matching/rounds/); this module turns the
stored users, scores, shortlists and blacklists into their matrices and back into emails.

Publishing is claimed once by a conditional update draft → publishing (a second publish
gets 409 already_published). Each assignment then goes through the guarded path its mode
uses (select_mentor, so capacity and MatchIntent crash-safety hold; or create_invitation),
and its outcome is appended to the round by a single-document update guarded by the
claim's token. Before each step the pair is written to `publish_current`, so a publish
resumed after a crash (the next publish once ROUND_PUBLISH_LEASE_SECONDS passed, or
`run_round --resume`) can tell whether the interrupted step took effect and never repeats
a pair.
"""

import uuid
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
from bson import ObjectId
from bson.errors import InvalidId
from django.conf import settings
from django.db import connection
from django.utils import timezone

from core.errors import AppError, InvalidFieldError
from matching.errors import (
    AlreadyPublishedError,
    InvalidRoundPairError,
    RoundNotFoundError,
)
from matching.models import (
    Invitation,
    InvitationStatus,
    PublishAs,
    Round,
    RoundObjective,
    RoundStatus,
)
from matching.rounds.report import quality_report
from matching.rounds.solvers import (
    UNRANKED,
    InvalidPinError,
    mentee_ranks,
    mentor_ranks,
    solve,
    usable_cells,
)
from matching.selectors import OPEN_MENTEES, has_free_seat
from matching.services.assignment import open_cohort, score_matrix
from matching.services.invitations import create_invitation
from matching.services.matches import select_mentor
from matching.services.preferences import shortlists_of
from matching.services.repair import repair_if_stale
from users.models import User, normalize_email
from users.selectors import get_user_by_email

OBJECTIVES = tuple(RoundObjective.values)
MODES = tuple(PublishAs.values)
# GET /matching/rounds/ lists at most this many, newest first.
LIST_LIMIT = 100


@dataclass
class Cohort:
    """The round's participants as matrices: rows mentees, columns mentors."""

    mentees: list[str]
    mentors: list[str]
    scores: np.ndarray
    allowed: np.ndarray  # False: blacklisted or excluded
    capacities: list[int]  # free seats
    shortlists: list[list[int]] = field(default_factory=list)

    def row(self, email: str) -> int | None:
        return self._rows.get(email)

    def col(self, email: str) -> int | None:
        return self._cols.get(email)

    def __post_init__(self):
        self._rows = {e: i for i, e in enumerate(self.mentees)}
        self._cols = {e: j for j, e in enumerate(self.mentors)}


def gather_cohort() -> Cohort:
    """The unmatched, seeking, scorable mentees and the open, scorable mentors with free
    seats (the same rules as propose_matches), their scores, blacklists and shortlists."""
    mentees, mentors = open_cohort()
    scores, allowed = score_matrix(mentees, mentors)
    cols = {u.email: j for j, u in enumerate(mentors)}
    lists = shortlists_of([u.email for u in mentees]) if mentees else {}
    shortlists = [[cols[e] for e in lists.get(u.email, []) if e in cols] for u in mentees]
    return Cohort(
        mentees=[u.email for u in mentees],
        mentors=[u.email for u in mentors],
        scores=scores,
        allowed=allowed,
        capacities=[settings.MAX_MENTEES - len(m.current_mentees) for m in mentors],
        shortlists=shortlists,
    )


def _pairs(raw) -> list[dict]:
    """[{mentee, mentor}] with normalized emails; repeats dropped."""
    pairs, seen = [], set()
    for item in raw or []:
        # The API checks the shape; the admin's JSON fields and other callers may not.
        if not (
            isinstance(item, dict)
            and isinstance(item.get("mentee"), str)
            and isinstance(item.get("mentor"), str)
        ):
            raise InvalidRoundPairError(f"{item!r} is not a pair {{mentee, mentor}}.")
        pair = (normalize_email(item["mentee"]), normalize_email(item["mentor"]))
        if pair not in seen:
            seen.add(pair)
            pairs.append({"mentee": pair[0], "mentor": pair[1]})
    return pairs


def _apply_exclusions(cohort: Cohort, excluded: list[dict]) -> None:
    """Excluded pairs never appear. A pair outside the cohort has nothing to exclude and
    is kept on the round as given."""
    for pair in excluded:
        i, j = cohort.row(pair["mentee"]), cohort.col(pair["mentor"])
        if i is not None and j is not None:
            cohort.allowed[i, j] = False


def _pin_indices(cohort: Cohort, pinned: list[dict]) -> list[tuple[int, int]]:
    indices = []
    for pair in pinned:
        i, j = cohort.row(pair["mentee"]), cohort.col(pair["mentor"])
        if i is None:
            raise InvalidRoundPairError(
                f"Pinned mentee {pair['mentee']} is not in this round (unknown, matched, "
                "not seeking, pending deletion or without scores)."
            )
        if j is None:
            raise InvalidRoundPairError(
                f"Pinned mentor {pair['mentor']} is not in this round (unknown, full, not "
                "seeking, pending deletion or without scores)."
            )
        indices.append((i, j))
    return indices


def _unmatched_reasons(cohort: Cohort, usable: np.ndarray) -> list[str | None]:
    scored = ~np.isnan(cohort.scores)
    reasons: list[str | None] = []
    for i in range(len(cohort.mentees)):
        if not scored[i].any():
            reasons.append("no_eligible_mentor")
        elif not usable[i].any():
            reasons.append("only_blacklisted_or_excluded_mentors")
        else:
            reasons.append(None)  # the report's default: no_seat_left
    return reasons


def compute(cohort: Cohort, objective: str, pinned_ix=()) -> tuple[list[dict], dict]:
    """Solve and describe: (assignments [{mentee, mentor, score, rank}], report)."""
    usable = usable_cells(cohort.scores, cohort.allowed)
    try:
        pairs = solve(
            objective,
            cohort.scores,
            cohort.capacities,
            cohort.allowed,
            pinned=pinned_ix,
            shortlists=cohort.shortlists,
        )
    except InvalidPinError as error:
        raise InvalidRoundPairError(
            "The pinned pairs cannot all hold: a pinned pair is blacklisted, excluded or "
            f"unscored, a mentee is pinned twice, or a mentor has too few free seats ({error})."
        ) from None
    ranks = mentee_ranks(cohort.scores, usable, cohort.shortlists)
    mranks = mentor_ranks(cohort.scores, usable)
    report = quality_report(
        pairs,
        np.nan_to_num(cohort.scores),
        ranks,
        mranks,
        cohort.capacities,
        _unmatched_reasons(cohort, usable),
    )
    report["unmatched"] = [
        {"mentee": cohort.mentees[i], "reason": reason} for i, reason in report["unmatched"]
    ]
    report["mentor_load"] = [
        {"mentor": email, "assigned": load, "free_seats": seats}
        for email, load, seats in zip(
            cohort.mentors, report["mentor_load"], cohort.capacities, strict=True
        )
    ]
    assignments = [
        {
            "mentee": cohort.mentees[i],
            "mentor": cohort.mentors[j],
            "score": round(float(cohort.scores[i, j]), 2),
            "rank": int(ranks[i, j]) if ranks[i, j] < UNRANKED else None,
        }
        for i, j in pairs
    ]
    assignments.sort(key=lambda a: (-a["score"], a["mentee"]))
    return assignments, report


def create_round(*, admin: User, objective: str, pinned=(), excluded=()) -> Round:
    """A draft round of one objective over today's cohort. Raises InvalidFieldError for an
    unknown objective, InvalidRoundPairError (400 invalid_field) for pins it cannot honour
    or a pair both pinned and excluded."""
    if objective not in OBJECTIVES:
        raise InvalidFieldError(f"objective must be one of {', '.join(OBJECTIVES)}.")
    pinned, excluded = _pairs(pinned), _pairs(excluded)
    both = {(p["mentee"], p["mentor"]) for p in pinned} & {
        (p["mentee"], p["mentor"]) for p in excluded
    }
    if both:
        mentee, mentor = sorted(both)[0]
        raise InvalidRoundPairError(f"{mentee} → {mentor} is both pinned and excluded.")
    cohort = gather_cohort()
    _apply_exclusions(cohort, excluded)
    assignments, report = compute(cohort, objective, _pin_indices(cohort, pinned))
    return Round.objects.create(
        objective=objective,
        created_by_email=admin.email if admin else "",
        pinned=pinned,
        excluded=excluded,
        assignments=assignments,
        report=report,
    )


def compare_objectives(*, admin: User, pinned=(), excluded=()) -> list[Round]:
    """One draft per objective over the same cohort, pins and exclusions."""
    return [
        create_round(admin=admin, objective=o, pinned=pinned, excluded=excluded) for o in OBJECTIVES
    ]


def get_round(round_id) -> Round:
    try:
        pk = ObjectId(str(round_id))
    except (InvalidId, TypeError):
        raise RoundNotFoundError() from None
    found = Round.objects.filter(pk=pk).first()
    if found is None:
        raise RoundNotFoundError()
    return found


def list_rounds(limit: int = LIST_LIMIT) -> list[Round]:
    return list(Round.objects.order_by("-created_at", "-pk")[:limit])


# --- publishing ------------------------------------------------------------------------------


@dataclass
class PublishResult:
    round: Round
    published: list[dict]
    skipped: list[dict]


def _rounds():
    return connection.get_collection(Round._meta.db_table)


def _claim(found: Round, *, admin: User, mode: str) -> str:
    """Take the round for this publish: a draft, or a publishing round whose claim is older
    than the lease (its publisher crashed). Returns the claim's token; raises
    AlreadyPublishedError when the round is published or a live publish holds it."""
    now = timezone.now()
    token = uuid.uuid4().hex
    if Round.objects.filter(pk=found.pk, status=RoundStatus.DRAFT).update(
        status=RoundStatus.PUBLISHING,
        published_as=mode,
        published_by_email=admin.email,
        publish_token=token,
        publish_started_at=now,
        publish_claimed_at=now,
    ):
        return token
    stale = now - timedelta(seconds=settings.ROUND_PUBLISH_LEASE_SECONDS)
    if Round.objects.filter(
        pk=found.pk, status=RoundStatus.PUBLISHING, publish_claimed_at__lte=stale
    ).update(publish_token=token, publish_claimed_at=now):
        return token
    raise AlreadyPublishedError()


def _mentee_unavailable(mentee: User) -> bool:
    return any(getattr(mentee, f) != v for f, v in OPEN_MENTEES.items())


def _took_effect(found: Round, pair: dict) -> bool:
    """Whether the step interrupted by a crash on `pair` was done: the mentee is matched
    to the mentor (matches; the select's own intent repair has run by then), or the pair
    has a pending invitation from the publisher made since publishing began."""
    if found.published_as == PublishAs.MATCHES:
        repair_if_stale(mentee_emails=[pair["mentee"]])
        mentee = get_user_by_email(pair["mentee"])
        return bool(mentee and mentee.isMatched and mentee.matchedMentorEmail == pair["mentor"])
    return Invitation.objects.filter(
        mentor_email=pair["mentor"],
        mentee_email=pair["mentee"],
        created_by_email=found.published_by_email,
        created_at__gte=found.publish_started_at,
        status__in=[InvitationStatus.PENDING, InvitationStatus.ACCEPTED],
    ).exists()


def _publish_one(found: Round, pair: dict, admin: User) -> str | None:
    """Publish one assignment; None when done, else the reason (an error code) it was
    skipped. Every check is repeated by the guarded write it precedes."""
    mentee = get_user_by_email(pair["mentee"])
    if mentee is None:
        return "user_not_found"
    if mentee.isMatched:
        return "already_matched"
    if _mentee_unavailable(mentee):
        return "mentee_unavailable"
    try:
        if found.published_as == PublishAs.MATCHES:
            select_mentor(mentee=mentee, mentor_email=pair["mentor"], via_round=True)
        else:
            mentor = get_user_by_email(pair["mentor"])
            if mentor is not None and not has_free_seat(mentor):
                return "mentor_full"
            create_invitation(
                creator=admin, mentor_email=pair["mentor"], mentee_email=pair["mentee"]
            )
    except AppError as error:
        return error.code
    return None


def _record(found: Round, token: str, update: dict) -> None:
    """One update of the round, only while this publish holds the claim."""
    if not _rounds().update_one({"_id": found.pk, "publish_token": token}, update).matched_count:
        raise AlreadyPublishedError("Another publish took this round over.")


def _run(found: Round, token: str, admin: User) -> None:
    done = {(o["mentee"], o["mentor"]) for o in found.outcomes}
    interrupted = found.publish_current
    for assignment in found.assignments:
        pair = {"mentee": assignment["mentee"], "mentor": assignment["mentor"]}
        if (pair["mentee"], pair["mentor"]) in done:
            continue
        if interrupted == pair and _took_effect(found, pair):
            reason = None
        else:
            _record(found, token, {"$set": {"publish_current": pair}})
            reason = _publish_one(found, pair, admin)
        outcome = {**pair, "result": "skipped" if reason else "published", "reason": reason}
        _record(found, token, {"$push": {"outcomes": outcome}, "$set": {"publish_current": None}})
    _record(
        found,
        token,
        {"$set": {"status": RoundStatus.PUBLISHED, "published_at": timezone.now()}},
    )


def _result(found: Round) -> PublishResult:
    found.refresh_from_db()
    published = [
        {"mentee": o["mentee"], "mentor": o["mentor"]}
        for o in found.outcomes
        if o["result"] == "published"
    ]
    skipped = [
        {"mentee": o["mentee"], "mentor": o["mentor"], "reason": o["reason"]}
        for o in found.outcomes
        if o["result"] == "skipped"
    ]
    return PublishResult(found, published, skipped)


def publish_round(*, round_id, admin: User, mode: str) -> PublishResult:
    """Publish a draft as invitations from `admin` or as direct matches. Raises
    RoundNotFoundError, InvalidFieldError (unknown mode), AlreadyPublishedError. A round a
    crashed publish left behind is taken over once the lease passed, in its original mode."""
    if mode not in MODES:
        raise InvalidFieldError(f"as must be one of {', '.join(MODES)}.")
    found = get_round(round_id)
    token = _claim(found, admin=admin, mode=mode)
    found.refresh_from_db()
    _run(found, token, admin)
    return _result(found)


def resume_stale_publishing(*, admin: User | None = None) -> list[PublishResult]:
    """Complete every round a crashed publish left in `publishing` past the lease (the
    repair of rounds; idempotent)."""
    results = []
    stale = timezone.now() - timedelta(seconds=settings.ROUND_PUBLISH_LEASE_SECONDS)
    for found in Round.objects.filter(status=RoundStatus.PUBLISHING, publish_claimed_at__lte=stale):
        publisher = admin or get_user_by_email(found.published_by_email)
        if publisher is None:
            continue
        try:
            results.append(
                publish_round(round_id=found.pk, admin=publisher, mode=found.published_as)
            )
        except AlreadyPublishedError:
            continue  # another process resumed it first
    return results
