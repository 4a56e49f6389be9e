"""Rounds as a service: the cohort's rules, pins and exclusions, and publishing (skip
reasons, idempotency, concurrent publishes and selects, a crash in the middle)."""

import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from matching.errors import AlreadyPublishedError, InvalidRoundPairError
from matching.models import Invitation, InvitationStatus, Preference, Round, RoundStatus
from matching.services import rounds
from matching.services.matches import select_mentor
from matching.tests.round_factories import cohort as make_cohort
from notifications.models import OutboxMail
from users.models import User
from users.tests.factories import AdminFactory

pytestmark = pytest.mark.django_db


def _pairs(found):
    return {(a["mentee"], a["mentor"]) for a in found.assignments}


def _fresh(user):
    return User.objects.get(pk=user.pk)


@pytest.fixture
def cohort(settings):
    """Three mentees, two one-seat mentors; a and b both like x best."""
    settings.MAX_MENTEES = 1
    table = ((90, 10), (80, 70), (20, 30))  # rows a, b, c; columns x, y
    (a, b, c), (x, y) = make_cohort(lambda i, j: table[i][j], 3, 2)
    return {"a": a, "b": b, "c": c, "x": x, "y": y, "admin": AdminFactory()}


def test_each_objective_stores_a_draft_with_its_report(cohort):
    a, b, c, x, y = (cohort[k] for k in "abcxy")
    total = rounds.create_round(admin=cohort["admin"], objective="total")
    fair = rounds.create_round(admin=cohort["admin"], objective="fair")
    stable = rounds.create_round(admin=cohort["admin"], objective="stable")

    # total: a-x 90 + b-y 70 = 160 beats b-x 80 + c-y 30 = 110
    assert _pairs(total) == {(a.email, x.email), (b.email, y.email)}
    assert total.status == RoundStatus.DRAFT
    assert total.report["total_score"] == 160.0 and total.report["min_score"] == 70.0
    assert total.report["unmatched"] == [{"mentee": c.email, "reason": "no_seat_left"}]
    assert total.report["blocking_pairs"] == 0
    assert {m["mentor"]: m["assigned"] for m in total.report["mentor_load"]} == {
        x.email: 1,
        y.email: 1,
    }
    assert _pairs(fair) == _pairs(total)  # min 70 is the best two seats allow
    assert _pairs(stable) == _pairs(total)
    assert [r.pk for r in rounds.list_rounds()] == [stable.pk, fair.pk, total.pk]


def test_shortlist_orders_the_mentee_first_and_ranks_follow_it(cohort):
    a, x, y = cohort["a"], cohort["x"], cohort["y"]
    Preference.objects.create(mentee_email=a.email, mentors=[y.email])

    stable = rounds.create_round(admin=cohort["admin"], objective="stable")

    # a proposes to y first and is held until c (y prefers 30 to 10) displaces a, who then
    # displaces b at x (90 > 80); b ends at y. a's x is now a's second choice.
    by_mentee = {p["mentee"]: p for p in stable.assignments}
    assert (by_mentee[a.email]["mentor"], by_mentee[a.email]["rank"]) == (x.email, 2)
    assert by_mentee[cohort["b"].email]["mentor"] == y.email
    assert stable.report["blocking_pairs"] == 0
    assert stable.report["rank1_share"] == 0.0 and stable.report["worst_rank"] == 2


def test_blacklisted_excluded_not_seeking_and_leaving_never_appear(cohort):
    a, b, c, x, y = (cohort[k] for k in "abcxy")
    User.objects.filter(pk=a.pk).update(blacklisted_mentors=[x.email])
    User.objects.filter(pk=c.pk).update(deletion_requested_at=timezone.now())

    found = rounds.create_round(
        admin=cohort["admin"],
        objective="total",
        excluded=[{"mentee": b.email, "mentor": y.email}],
    )

    assert _pairs(found) == {(a.email, y.email), (b.email, x.email)}
    assert c.email not in {u["mentee"] for u in found.report["unmatched"]}
    User.objects.filter(pk=y.pk).update(is_seeking_mentee=False)
    again = rounds.create_round(
        admin=cohort["admin"], objective="fair", excluded=[{"mentee": b.email, "mentor": y.email}]
    )
    assert _pairs(again) == {(b.email, x.email)}
    assert again.report["unmatched"] == [
        {"mentee": a.email, "reason": "only_blacklisted_or_excluded_mentors"}
    ]


def test_pins_hold_and_impossible_pins_are_refused(cohort):
    a, b, c, x, y = (cohort[k] for k in "abcxy")
    pinned = rounds.create_round(
        admin=cohort["admin"], objective="stable", pinned=[{"mentee": c.email, "mentor": x.email}]
    )
    assert (c.email, x.email) in _pairs(pinned)
    assert pinned.pinned == [{"mentee": c.email, "mentor": x.email}]

    User.objects.filter(pk=a.pk).update(blacklisted_mentors=[y.email])
    count = Round.objects.count()
    for bad in (
        {"pinned": [{"mentee": a.email, "mentor": y.email}]},  # blacklisted
        {"pinned": [{"mentee": m.email, "mentor": x.email} for m in (a, b)]},  # one seat
        {"pinned": [{"mentee": "nobody@example.edu", "mentor": x.email}]},
        {"excluded": [{"mentee": a.email}]},  # not a pair (e.g. edited in the admin)
        {"pinned": [{"mentee": a.email, "mentor": x.email}]}
        | {"excluded": [{"mentee": a.email, "mentor": x.email}]},
    ):
        with pytest.raises(InvalidRoundPairError):
            rounds.create_round(admin=cohort["admin"], objective="total", **bad)
    assert Round.objects.count() == count


@pytest.mark.parametrize("mode", ["matches", "invitations"])
def test_publish_skips_who_matched_meanwhile_and_full_mentors_then_refuses_twice(
    cohort, settings, mode
):
    settings.MAX_MENTEES = 2
    a, b, c, x, y = (cohort[k] for k in "abcxy")
    found = rounds.create_round(admin=cohort["admin"], objective="total")
    assert _pairs(found) == {(a.email, x.email), (b.email, x.email), (c.email, y.email)}
    # Meanwhile: c selects x themselves, filling x (two seats: c and one more) ...
    select_mentor(mentee=_fresh(c), mentor_email=x.email)
    (other,), _ = make_cohort(lambda i, j: None, 1, 0)
    select_mentor(mentee=other, mentor_email=x.email)

    result = rounds.publish_round(round_id=found.pk, admin=cohort["admin"], mode=mode)

    assert result.round.status == RoundStatus.PUBLISHED
    assert result.published == []
    assert {(s["mentee"], s["reason"]) for s in result.skipped} == {
        (a.email, "mentor_full"),
        (b.email, "mentor_full"),
        (c.email, "already_matched"),
    }
    assert len(_fresh(x).current_mentees) == 2
    with pytest.raises(AlreadyPublishedError):
        rounds.publish_round(round_id=found.pk, admin=cohort["admin"], mode=mode)


def test_publish_as_matches_and_as_invitations(cohort):
    a, b, x, y = (cohort[k] for k in "abxy")
    as_matches = rounds.create_round(admin=cohort["admin"], objective="total")
    result = rounds.publish_round(round_id=as_matches.pk, admin=cohort["admin"], mode="matches")
    assert {(p["mentee"], p["mentor"]) for p in result.published} == _pairs(as_matches)
    assert _fresh(a).matchedMentorEmail == x.email and _fresh(y).current_mentees == [b.email]
    assert result.skipped == [] and result.round.published_as == "matches"
    # Both sides of each published pair are told by a "round_published" mail, not "matched".
    mails = {(m.kind, m.to) for m in OutboxMail.objects.all()}
    assert mails == {("round_published", email) for pair in _pairs(as_matches) for email in pair}

    c = cohort["c"]
    User.objects.filter(pk=y.pk).update(current_mentees=[])
    User.objects.filter(pk=b.pk).update(isMatched=False, matchedMentorEmail="")
    as_invitations = rounds.create_round(admin=cohort["admin"], objective="total")
    result = rounds.publish_round(
        round_id=as_invitations.pk, admin=cohort["admin"], mode="invitations"
    )
    invited = Invitation.objects.filter(status=InvitationStatus.PENDING)
    assert {(i.mentee_email, i.mentor_email) for i in invited} == {(b.email, y.email)}
    assert {i.created_by_email for i in invited} == {cohort["admin"].email}
    assert not _fresh(b).isMatched and c.email not in _fresh(y).current_mentees


def _crash_on(monkeypatch, target, nth):
    """Make rounds.<target> raise on its nth call (1-based), as a process dying there."""
    real, calls = getattr(rounds, target), {"n": 0}

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == nth:
            raise RuntimeError("crash injected")
        return real(*args, **kwargs)

    monkeypatch.setattr(rounds, target, failing)


@pytest.fixture
def four_pairs(settings):
    settings.MAX_MENTEES = 1
    return make_cohort(lambda i, j: 90 if i == j else 10, 4, 4)


def _assert_no_duplicates(found, mentees, mentors):
    found.refresh_from_db()
    assert found.status == RoundStatus.PUBLISHED
    assert sorted((o["mentee"], o["mentor"]) for o in found.outcomes) == sorted(_pairs(found))
    assert all(o["result"] == "published" for o in found.outcomes), found.outcomes
    for mentee, mentor in zip(mentees, mentors, strict=True):
        assert _fresh(mentee).matchedMentorEmail == mentor.email
        assert _fresh(mentor).current_mentees == [mentee.email]


@pytest.mark.parametrize(
    "target, nth",
    [
        ("_publish_one", 3),  # dies before the third pair's step
        ("_record", 4),  # dies after the second pair's step, before its outcome is stored
    ],
)
def test_a_publish_that_crashes_midway_is_completed_by_a_retry(
    four_pairs, settings, monkeypatch, target, nth
):
    mentees, mentors = four_pairs
    admin = AdminFactory()
    found = rounds.create_round(admin=admin, objective="total")
    _crash_on(monkeypatch, target, nth)
    with pytest.raises(RuntimeError):
        rounds.publish_round(round_id=found.pk, admin=admin, mode="matches")
    monkeypatch.undo()
    found.refresh_from_db()
    assert found.status == RoundStatus.PUBLISHING
    # A live claim is respected: the same publish again within the lease is refused.
    with pytest.raises(AlreadyPublishedError):
        rounds.publish_round(round_id=found.pk, admin=admin, mode="matches")

    Round.objects.filter(pk=found.pk).update(
        publish_claimed_at=timezone.now() - timedelta(seconds=settings.ROUND_PUBLISH_LEASE_SECONDS)
    )
    result = rounds.publish_round(round_id=found.pk, admin=admin, mode="invitations")

    assert result.round.published_as == "matches"  # the crashed publish's mode is kept
    _assert_no_duplicates(found, mentees, mentors)
    assert not Invitation.objects.exists()


def test_the_repair_resumes_a_crashed_invitations_publish(four_pairs, settings, monkeypatch):
    mentees, mentors = four_pairs
    admin = AdminFactory()
    found = rounds.create_round(admin=admin, objective="fair")
    _crash_on(monkeypatch, "_record", 2)  # after the first invitation, before its outcome
    with pytest.raises(RuntimeError):
        rounds.publish_round(round_id=found.pk, admin=admin, mode="invitations")
    monkeypatch.undo()
    settings.ROUND_PUBLISH_LEASE_SECONDS = 0

    assert [r.round.pk for r in rounds.resume_stale_publishing()] == [found.pk]
    assert rounds.resume_stale_publishing() == []

    found.refresh_from_db()
    assert found.status == RoundStatus.PUBLISHED
    assert [o["result"] for o in found.outcomes] == ["published"] * 4
    pending = Invitation.objects.filter(status=InvitationStatus.PENDING)
    assert sorted((i.mentee_email, i.mentor_email) for i in pending) == sorted(_pairs(found))


def _together(*calls):
    barrier, results = threading.Barrier(len(calls)), [None] * len(calls)

    def run(i, call):
        barrier.wait()
        try:
            results[i] = call()
        except Exception as error:  # noqa: BLE001 - the outcome is what the test checks
            results[i] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_publishes_claim_the_round_once_and_race_selects_safely(four_pairs):
    mentees, mentors = four_pairs
    admin = AdminFactory()
    found = rounds.create_round(admin=admin, objective="stable")
    # mentee 0 races the publish for mentor 1's only seat; mentee 1 (proposed for mentor 1)
    # then finds it full, or mentee 0 finds it taken.
    results = _together(
        lambda: rounds.publish_round(round_id=found.pk, admin=admin, mode="matches"),
        lambda: rounds.publish_round(round_id=found.pk, admin=admin, mode="matches"),
        lambda: select_mentor(mentee=_fresh(mentees[0]), mentor_email=mentors[1].email),
    )

    publishes = results[:2]
    assert sum(isinstance(r, AlreadyPublishedError) for r in publishes) == 1
    result = next(r for r in publishes if isinstance(r, rounds.PublishResult))
    assert len(result.published) + len(result.skipped) == 4
    for mentor in mentors:
        roster = _fresh(mentor).current_mentees
        assert len(roster) <= 1
        for email in roster:
            assert User.objects.get(email=email).matchedMentorEmail == mentor.email
    for mentee in mentees:
        fresh = _fresh(mentee)
        if fresh.isMatched:
            assert fresh.email in User.objects.get(email=fresh.matchedMentorEmail).current_mentees
