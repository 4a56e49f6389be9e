"""Who gets which notification mail when a matching event happens (docs/api.md
"Notifications"). Each kind is skipped for a user who turned it off in their profile
(User.notifications_off) and for an account that is inactive or pending deletion. The mails
are written to the outbox in the caller's request (notifications.outbox), all of one event
in one round trip; the sender delivers them. Callers pass the users they have already read,
so an event costs no extra read.
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


def _mail(kind: str, recipient: User | None, other: User | None, other_email: str, **extra):
    """The mail to recipient about other, or None if they do not get this kind."""
    if not _reachable(recipient, kind):
        return None
    context = {
        "name": recipient.firstName,
        "other_name": other.full_name if other else other_email,
        "other_email": other_email,
        "other_role": (other.role if other else "").lower() or "match",
        **extra,
    }
    return outbox.build(kind=kind, to=recipient.email, context=context)


def _write(*mails) -> None:
    outbox.enqueue_all([mail for mail in mails if mail is not None])


def _pair(kind: str, mentee: User | None, mentor: User | None, mentee_email, mentor_email):
    """The same kind of mail to both sides, each about the other."""
    _write(
        _mail(kind, mentee, mentor, mentor_email),
        _mail(kind, mentor, mentee, mentee_email),
    )


def matched(*, mentee: User, mentor: User) -> None:
    _pair("matched", mentee, mentor, mentee.email, mentor.email)


def round_published(*, mentee: User, mentor: User) -> None:
    """A published round's pair learns its match (select_mentor via_round=True)."""
    _pair("round_published", mentee, mentor, mentee.email, mentor.email)


def unmatched(*, recipient: User, by: User) -> None:
    """The side that did not end the match learns of it."""
    _write(_mail("unmatched", recipient, by, by.email))


def invitation_created(*, invitation, creator: User, mentor: User, mentee: User) -> None:
    """The named sides other than the creator (both when an admin proposed it)."""
    inviter = "A programme coordinator" if creator.role == Role.ADMIN else creator.full_name
    extra = {"inviter": inviter, "expires_at": invitation.expires_at}
    _write(
        *(
            _mail("invitation_received", recipient, other, other.email, **extra)
            for recipient, other in ((mentor, mentee), (mentee, mentor))
            if recipient.email != creator.email
        )
    )


def invitation_answered(*, invitation, responder: User, accepted: bool) -> None:
    """The other named side learns of an acceptance (that did not yet form the match: the
    match itself is the `matched` mail) or of a decline."""
    kind = "invitation_accepted" if accepted else "invitation_declined"
    if responder.email == invitation.mentor_email:
        other_email = invitation.mentee_email
    else:
        other_email = invitation.mentor_email
    other = _users(other_email).get(other_email)
    _write(_mail(kind, other, responder, responder.email))


def invitation_expired(*, invitation) -> None:
    users = _users(invitation.mentee_email, invitation.mentor_email)
    _pair(
        "invitation_expired",
        users.get(invitation.mentee_email),
        users.get(invitation.mentor_email),
        invitation.mentee_email,
        invitation.mentor_email,
    )
