"""Who gets which notification mail when a matching event happens (docs/api.md
"Notifications"). Each kind is skipped for a user who turned it off in their profile
(User.notifications_off) and for an account that is inactive or pending deletion. The mails
are written to the outbox in the caller's request (notifications.outbox); the sender
delivers them.
"""

from notifications import outbox
from users.models import Role, User


def _users(*emails: str) -> dict[str, User]:
    return {user.email: user for user in User.objects.filter(email__in=list(set(emails)))}


def _reachable(user: User | None, kind: str) -> bool:
    return (
        user is not None
        and user.is_active
        and user.deletion_requested_at is None
        and user.wants_notification(kind)
    )


def _about(other: User | None, email: str) -> dict:
    return {
        "other_name": other.full_name if other else email,
        "other_email": email,
        "other_role": (other.role if other else "").lower() or "match",
    }


def _send(kind: str, recipient: User | None, other: User | None, other_email: str, **extra):
    if _reachable(recipient, kind):
        context = {"name": recipient.firstName, **_about(other, other_email), **extra}
        outbox.enqueue(kind=kind, to=recipient.email, context=context)


def _pair(kind: str, *, mentee_email: str, mentor_email: str, **extra) -> None:
    """The same kind of mail to both sides, each about the other."""
    users = _users(mentee_email, mentor_email)
    mentee, mentor = users.get(mentee_email), users.get(mentor_email)
    _send(kind, mentee, mentor, mentor_email, **extra)
    _send(kind, mentor, mentee, mentee_email, **extra)


def matched(*, mentee_email: str, mentor_email: str) -> None:
    _pair("matched", mentee_email=mentee_email, mentor_email=mentor_email)


def round_published(*, mentee: User, mentor: User) -> None:
    """A published round's pair learns its match (for the rounds feature to call)."""
    _pair("round_published", mentee_email=mentee.email, mentor_email=mentor.email)


def unmatched(*, recipient_email: str, by_email: str) -> None:
    """The side that did not end the match learns of it."""
    users = _users(recipient_email, by_email)
    _send("unmatched", users.get(recipient_email), users.get(by_email), by_email)


def _parties(invitation) -> tuple[dict[str, User], User | None, User | None]:
    users = _users(invitation.mentor_email, invitation.mentee_email)
    return users, users.get(invitation.mentor_email), users.get(invitation.mentee_email)


def invitation_created(*, invitation, creator: User) -> None:
    """The named sides other than the creator (both when an admin proposed it)."""
    _, mentor, mentee = _parties(invitation)
    inviter = "A programme coordinator" if creator.role == Role.ADMIN else creator.full_name
    for recipient, other, other_email in (
        (mentor, mentee, invitation.mentee_email),
        (mentee, mentor, invitation.mentor_email),
    ):
        if recipient is not None and recipient.email != creator.email:
            _send(
                "invitation_received",
                recipient,
                other,
                other_email,
                inviter=inviter,
                expires_at=invitation.expires_at,
            )


def invitation_answered(*, invitation, responder: User, accepted: bool) -> None:
    """The other named side learns of an acceptance (that did not yet form the match: the
    match itself is the `matched` mail) or of a decline."""
    kind = "invitation_accepted" if accepted else "invitation_declined"
    _, mentor, mentee = _parties(invitation)
    if responder.email == invitation.mentor_email:
        _send(kind, mentee, mentor, invitation.mentor_email)
    else:
        _send(kind, mentor, mentee, invitation.mentee_email)


def invitation_expired(*, invitation) -> None:
    _pair(
        "invitation_expired",
        mentee_email=invitation.mentee_email,
        mentor_email=invitation.mentor_email,
    )
