"""The programme report: participants, matches, seats, invitations, unmatched mentees."""

from statistics import fmean

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from matching.models import Invitation, InvitationStatus, Score
from matching.selectors import OPEN_MENTORS
from roster.selectors import REASONS, count_by_reason, unmatched_mentees
from users.models import Role, User
from users.serializers import iso

STATES = ("total", "active", "seeking", "matched", "pending_deletion")


def _participants(role: str) -> dict[str, int]:
    users = User.objects.filter(role=role)
    seeking = "is_seeking_mentor" if role == Role.MENTEE else "is_seeking_mentee"
    matched = Q(isMatched=True) if role == Role.MENTEE else Q(current_mentees__len__gt=0)
    return {
        "total": users.count(),
        "active": users.filter(is_active=True, deletion_requested_at=None).count(),
        "seeking": users.filter(**{seeking: True}).count(),
        "matched": users.filter(matched).count(),
        "pending_deletion": users.exclude(deletion_requested_at=None).count(),
    }


def _seats() -> dict[str, int]:
    mentors = list(User.objects.filter(role=Role.MENTOR).only("email", "current_mentees"))
    taking = set(User.objects.filter(**OPEN_MENTORS).values_list("email", flat=True))
    capacity = settings.MAX_MENTEES
    return {
        "capacity_per_mentor": capacity,
        "seats": capacity * len(mentors),
        "used": sum(len(m.current_mentees) for m in mentors),
        "free_with_mentors_taking_mentees": sum(
            max(0, capacity - len(m.current_mentees)) for m in mentors if m.email in taking
        ),
    }


def _invitations() -> dict[str, int]:
    """The funnel; a pending invitation past its expiry counts as expired (the sweep that
    marks it may not have run yet)."""
    now = timezone.now()
    counts = {"created": Invitation.objects.count()}
    for status in ("accepted", "declined", "cancelled"):
        counts[status] = Invitation.objects.filter(status=status).count()
    lapsed = Invitation.objects.filter(status=InvitationStatus.PENDING, expires_at__lte=now)
    counts["expired"] = (
        Invitation.objects.filter(status=InvitationStatus.EXPIRED).count() + lapsed.count()
    )
    counts["pending"] = Invitation.objects.filter(
        status=InvitationStatus.PENDING, expires_at__gt=now
    ).count()
    return counts


def _match_scores() -> list[float]:
    pairs = dict(
        User.objects.filter(role=Role.MENTEE, isMatched=True).values_list(
            "email", "matchedMentorEmail"
        )
    )
    found = Score.objects.filter(mentee_email__in=list(pairs)).values_list(
        "mentee_email", "mentor_email", "score"
    )
    return [score for mentee, mentor, score in found if pairs.get(mentee) == mentor]


def programme_report() -> dict:
    """The report as plain JSON-ready data (the command's --json prints it as is)."""
    unmatched = unmatched_mentees()
    mentees = _participants(Role.MENTEE)
    scores = _match_scores()
    return {
        "generated_at": iso(timezone.now()),
        "participants": {
            "MENTEE": mentees,
            "MENTOR": _participants(Role.MENTOR),
            "ADMIN": {"total": User.objects.filter(role=Role.ADMIN).count()},
        },
        "mentees": {"matched": mentees["matched"], "unmatched": len(unmatched)},
        "seats": _seats(),
        "invitations": _invitations(),
        "matches": {
            "scored": len(scores),
            "mean_score": round(fmean(scores), 4) if scores else None,
        },
        "unmatched_by_reason": count_by_reason(unmatched),
        "unmatched": [
            {"email": u.mentee.email, "reason": u.reason, "detail": u.detail} for u in unmatched
        ],
    }


def _table(rows: list[list[str]]) -> list[str]:
    if not rows:
        return []
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


def render_text(report: dict) -> str:
    """The report as aligned plain-text tables."""
    parts = report["participants"]
    lines = [f"Programme report, {report['generated_at']}", "", "Participants"]
    lines += _table(
        [["role", *STATES]]
        + [[role, *(parts[role].get(s, "") for s in STATES)] for role in ("MENTEE", "MENTOR")]
        + [["ADMIN", parts["ADMIN"]["total"], "", "", "", ""]]
    )
    seats, inv, matches = report["seats"], report["invitations"], report["matches"]
    mean = "-" if matches["mean_score"] is None else f"{matches['mean_score']:.2f}"
    lines += [
        "",
        f"Mentees: {report['mentees']['matched']} matched, "
        f"{report['mentees']['unmatched']} unmatched",
        f"Seats: {seats['used']} of {seats['seats']} used ({seats['capacity_per_mentor']} per "
        f"mentor); {seats['free_with_mentors_taking_mentees']} free with mentors taking mentees",
        f"Mean score of current matches: {mean} ({matches['scored']} scored pair(s))",
        "",
        "Invitations",
    ]
    lines += _table([list(inv), [str(v) for v in inv.values()]])
    lines += ["", "Unmatched mentees by reason"]
    by_reason = report["unmatched_by_reason"]
    lines += _table([[r, str(n), REASONS[r]] for r, n in by_reason.items()]) or ["(none)"]
    if report["unmatched"]:
        lines += ["", "Unmatched mentees"]
        lines += _table(
            [["email", "reason"]] + [[u["email"], u["reason"]] for u in report["unmatched"]]
        )
    return "\n".join(lines)
