"""Making every mentee's match and every roster agree (docs/operations.md "Repair").

The rule, per mentee E (under E's lock, see locks.py), from the stored state:

1. A stale unmatch intent (E, M) is rolled forward: E is cleared and blacklists M, E leaves
   M's roster, and the pair's chat is deleted (pair_unmatched) - E already asked to leave.
2. A stale select intent is rolled forward when both sides are done (E matched to M and on
   M's roster; an invitation it was accepting is then closed as accepted), else back.
3. Whatever the intents, E's match is kept only if E is a mentee with isMatched set and
   matchedMentorEmail naming a mentor whose roster holds E; otherwise E is made unmatched
   (no blacklist: nothing says E asked to leave). Half-set fields (isMatched without an
   email or the reverse) count as unmatched.
4. E is removed from every roster but that of the mentor E is matched to; a removal from a
   mentor E blacklisted finishes an old unmatch, so the pair's chat is deleted too.

Before that, per mentor: duplicate roster entries are dropped and a roster over
MAX_MENTEES keeps its first MAX_MENTEES entries (earliest joined); the evicted mentees are
then unmatched by rule 3. Intents younger than MATCH_INTENT_LEASE_SECONDS belong to live
requests and are left alone. Every step is a conditional update, so a second run changes
nothing.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.utils import timezone

from matching.models import IntentOp, Invitation, InvitationStatus, MatchIntent
from matching.services.locks import is_stale, lease_start, lock_for_repair, take_over
from matching.signals import pair_unmatched
from users.models import Role, User

Step = tuple[str, Callable[[], object]]
_FIELDS = {"email": 1, "role": 1, "isMatched": 1, "matchedMentorEmail": 1}


def _users():
    return connection.get_collection(User._meta.db_table)


def _notify_unmatched(mentee_email: str, mentor_email: str) -> None:
    pair_unmatched.send(sender=User, mentee_email=mentee_email, mentor_email=mentor_email)


def _close_invitation(invitation_id, mentee_email: str) -> None:
    now = timezone.now()
    pending = InvitationStatus.PENDING
    Invitation.objects.filter(pk=invitation_id, status=pending).update(
        status=InvitationStatus.ACCEPTED, deactivated_at=now
    )
    Invitation.objects.filter(mentee_email=mentee_email, status=pending).update(
        status=InvitationStatus.CANCELLED, deactivated_at=now
    )


def _mentee_steps(email: str, mentee: dict | None, holders: list[dict], intent) -> list[Step]:
    """Rules 1-4 for one mentee as (description, action) pairs, from one read of the state."""
    steps: list[Step] = []
    matched = bool(mentee and mentee.get("isMatched"))
    matched_to = (mentee or {}).get("matchedMentorEmail") or ""
    current = matched_to if matched and matched_to else ""
    seated_with = {h["email"] for h in holders if h.get("role") == Role.MENTOR}
    leaving = intent.mentor_email if intent and intent.op == IntentOp.UNMATCH else ""
    desired = "" if current == leaving or current not in seated_with else current
    blacklist = set((mentee or {}).get("blacklisted_mentors") or [])
    if mentee is not None and (matched, matched_to) != (bool(desired), desired):
        update: dict = {"$set": {"isMatched": bool(desired), "matchedMentorEmail": desired}}
        if not desired:
            update["$set"]["matched_at"] = None
        if leaving:
            update["$addToSet"] = {"blacklisted_mentors": leaving}
            what = f"unmatch from {leaving} rolled forward (mentee cleared)"
        elif current:
            what = f"match with {current} rolled back (not on that mentor's roster)"
        else:
            what = "half-set match fields cleared"
        guard = {"_id": mentee["_id"], "isMatched": mentee.get("isMatched")}
        guard["matchedMentorEmail"] = mentee.get("matchedMentorEmail")
        steps.append((f"{email}: {what}", lambda: _users().update_one(guard, update)))
    elif mentee is not None and leaving and leaving not in blacklist:
        update = {"$addToSet": {"blacklisted_mentors": leaving}}
        steps.append(
            (
                f"{email}: unmatch from {leaving} rolled forward (blacklisted)",
                lambda: _users().update_one({"_id": mentee["_id"]}, update),
            )
        )
    if leaving:
        blacklist.add(leaving)
    chats = {leaving} - {""}
    for holder in holders:
        if holder["email"] == desired and holder.get("role") == Role.MENTOR:
            continue
        steps.append(
            (
                f"{email}: removed from {holder['email']}'s roster (not matched to them)",
                lambda h=holder: _users().update_one(
                    {"_id": h["_id"]}, {"$pull": {"current_mentees": email}}
                ),
            )
        )
        if holder["email"] in blacklist:
            chats.add(holder["email"])
    for mentor_email in sorted(chats):
        steps.append(
            (
                f"{email}: chat with {mentor_email} deleted (unmatch rolled forward)",
                lambda m=mentor_email: _notify_unmatched(email, m),
            )
        )
    if intent and intent.op == IntentOp.SELECT and intent.invitation_id and desired:
        if desired == intent.mentor_email:
            steps.append(
                (
                    f"{email}: invitation {intent.invitation_id} accepted (select rolled forward)",
                    lambda: _close_invitation(intent.invitation_id, email),
                )
            )
    return steps


def _plan(email: str, intent: MatchIntent | None) -> list[Step]:
    users = _users()
    mentee = users.find_one(
        {"email": email, "role": Role.MENTEE}, {**_FIELDS, "blacklisted_mentors": 1}
    )
    holders = list(users.find({"current_mentees": email}, {"email": 1, "role": 1}))
    steps = _mentee_steps(email, mentee, holders, intent)
    if intent is not None and intent.op != IntentOp.REPAIR:
        steps.append(
            (
                f"{email}: stale {intent.op} intent ({intent.mentor_email}) resolved",
                lambda: None,
            )
        )
    return steps


def repair_mentee(*, mentee_email: str, dry_run: bool = False, now=None) -> list[str]:
    """Make one mentee's match and the rosters agree (rules in the module docstring); returns
    what changed. Does nothing while a live request holds the mentee's intent."""
    intent = MatchIntent.objects.filter(mentee_email=mentee_email).first()
    if intent is not None and not is_stale(intent, now):
        return []
    if dry_run:
        return [what for what, _ in _plan(mentee_email, intent)]
    lock = take_over(intent, now) if intent is not None else lock_for_repair(mentee_email)
    if lock is None:
        return []
    steps = _plan(mentee_email, intent)
    for _, action in steps:
        action()
    MatchIntent.objects.filter(pk=lock.pk, created_at=lock.created_at).delete()
    return [what for what, _ in steps]


def repair_if_stale(*, mentee_emails: list[str], now=None) -> list[str]:
    """The request-path check: repair the pairs of these mentees that have a stale intent
    (one query when there is none)."""
    if not mentee_emails:
        return []
    # A find, not the ORM's aggregation: this runs on every matching read.
    stale = connection.get_collection(MatchIntent._meta.db_table).find(
        {"mentee_email": {"$in": list(mentee_emails)}, "created_at": {"$lte": lease_start(now)}},
        {"mentee_email": 1},
    )
    changes: list[str] = []
    for email in [intent["mentee_email"] for intent in stale]:
        changes += repair_mentee(mentee_email=email, now=now)
    return changes


@dataclass
class RepairReport:
    changes: list[str]
    in_progress: int  # mentees left alone because a live request holds their intent


def _trim_rosters(mentors: list[dict], *, dry_run: bool) -> list[str]:
    """Drop duplicate roster entries and seats past MAX_MENTEES (latest joined go first)."""
    changes = []
    for mentor in mentors:
        roster = mentor.get("current_mentees") or []
        kept = list(dict.fromkeys(roster))[: settings.MAX_MENTEES]
        if kept == roster:
            continue
        evicted = [e for e in dict.fromkeys(roster) if e not in kept]
        what = f"{mentor['email']}: roster trimmed to {len(kept)} unique seat(s)"
        changes.append(what + (f", evicted {', '.join(evicted)}" if evicted else ""))
        if not dry_run:
            # Compare-and-set on the whole roster: a concurrent change makes this a no-op
            # that the next run redoes.
            _users().update_one(
                {"_id": mentor["_id"], "current_mentees": roster},
                {"$set": {"current_mentees": kept}},
            )
        mentor["current_mentees"] = kept
    return changes


def _suspects(mentors: list[dict]) -> set[str]:
    """Mentees whose match and rosters disagree in one read of the collection."""
    rosters = {m["email"]: set(m.get("current_mentees") or []) for m in mentors}
    seated = {e for roster in rosters.values() for e in roster}
    query = {"$or": [{"isMatched": True}, {"matchedMentorEmail": {"$nin": ["", None]}}]}
    matched = {u["email"]: u for u in _users().find({**query, "role": Role.MENTEE}, _FIELDS)}
    seated_users = {
        u["email"]: u for u in _users().find({"email": {"$in": sorted(seated)}}, _FIELDS)
    }
    suspects = set()
    for email, user in matched.items():
        mentor = user.get("matchedMentorEmail") or ""
        if not user.get("isMatched") or email not in rosters.get(mentor, ()):
            suspects.add(email)
    for mentor_email, roster in rosters.items():
        for email in roster:
            user = seated_users.get(email) or {}
            ok = user.get("role") == Role.MENTEE and user.get("isMatched")
            if not ok or user.get("matchedMentorEmail") != mentor_email:
                suspects.add(email)
    return suspects


def _mentors() -> list[dict]:
    return list(
        _users().find({"role": Role.MENTOR}, {"email": 1, "current_mentees": 1}).sort("_id", 1)
    )


def repair_matches(*, dry_run: bool = False, now=None) -> RepairReport:
    """Repair every pair (module docstring); returns what changed, or would with dry_run.
    The capacity trim runs after the pairs are repaired, so entries that were not real
    matches do not take seats (a dry run, which writes nothing, may list them as evicted)."""
    intents = {i.mentee_email: i for i in MatchIntent.objects.order_by("pk")}
    live = {e for e, i in intents.items() if not is_stale(i, now)}
    suspects = _suspects(_mentors()) | set(intents)
    changes: list[str] = []
    for email in sorted(suspects - live):
        changes += repair_mentee(mentee_email=email, dry_run=dry_run, now=now)
    mentors = _mentors()
    seated_before = {e for m in mentors for e in m.get("current_mentees") or []}
    changes += _trim_rosters(mentors, dry_run=dry_run)
    if not dry_run:
        seated_after = {e for m in mentors for e in m.get("current_mentees") or []}
        for email in sorted(seated_before - seated_after):
            changes += repair_mentee(mentee_email=email, now=now)
    return RepairReport(changes=changes, in_progress=len(live & suspects))
