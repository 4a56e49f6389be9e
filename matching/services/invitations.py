"""Invitations: a pairing proposed by the mentor, the mentee or an admin matchmaker.

State machine: pending → accepted (both sides accepted and the match formed) | declined
(either side declined) | cancelled (by the creator or an admin, or because the mentee got
matched elsewhere) | expired (INVITATION_EXPIRY_DAYS passed). Every transition is a
conditional update on `status=pending`, so concurrent responses cannot both win.
"""

from datetime import timedelta

from bson import ObjectId
from bson.errors import InvalidId
from django.conf import settings
from django.db import IntegrityError
from django.db.models import Q
from django.utils import timezone

from core.errors import AppError
from matching.errors import (
    AlreadyMatchedError,
    BlacklistedError,
    InvitationExistsError,
    InvitationNotFoundError,
    InvitationNotPendingError,
    NotAMenteeError,
    NotAMentorError,
    NotInvitationPartyError,
    SelfInvitationError,
    TooManyPendingInvitationsError,
    UserNotFoundError,
)
from matching.models import Invitation, InvitationStatus, Response
from matching.services.matches import require_available, select_mentor
from users.models import Role, User, normalize_email

PENDING = InvitationStatus.PENDING


def delete_invitations_of(*, email: str) -> int:
    """Delete every invitation naming this address as mentor, mentee or creator (account
    purge); returns how many."""
    deleted, _ = Invitation.objects.filter(
        Q(mentor_email=email) | Q(mentee_email=email) | Q(created_by_email=email)
    ).delete()
    return deleted


def expire_invitations(*, now=None) -> int:
    """Mark pending invitations past their expiry as expired; returns how many."""
    now = now or timezone.now()
    return Invitation.objects.filter(status=PENDING, expires_at__lte=now).update(
        status=InvitationStatus.EXPIRED, deactivated_at=now
    )


def _user(email: str, role: str) -> User:
    user = User.objects.filter(email=normalize_email(email)).first()
    if user is None:
        raise UserNotFoundError(f"No user has the email {normalize_email(email)!r}.")
    if user.role != role:
        raise NotAMentorError() if role == Role.MENTOR else NotAMenteeError()
    return user


def create_invitation(*, creator: User, mentor_email: str, mentee_email: str) -> Invitation:
    """Propose a pairing. Raises SelfInvitationError, UserNotFoundError, NotAMentorError,
    NotAMenteeError, NotInvitationPartyError, AlreadyMatchedError, BlacklistedError,
    MentorUnavailableError, InvitationExistsError, TooManyPendingInvitationsError."""
    if normalize_email(mentor_email) == normalize_email(mentee_email):
        raise SelfInvitationError()
    mentor = _user(mentor_email, Role.MENTOR)
    mentee = _user(mentee_email, Role.MENTEE)
    if creator.role != Role.ADMIN and creator.email not in (mentor.email, mentee.email):
        raise NotInvitationPartyError()
    if mentee.isMatched:
        raise AlreadyMatchedError("This mentee already has a mentor.")
    if mentor.email in mentee.blacklisted_mentors:
        raise BlacklistedError("This mentee unmatched this mentor before.")
    require_available(mentor)
    expire_invitations()
    if _pending_of(mentor.email, mentee.email).exists():
        raise InvitationExistsError()
    now = timezone.now()
    fields = {
        "mentor_email": mentor.email,
        "mentee_email": mentee.email,
        "created_by_email": creator.email,
        "created_at": now,
        "expires_at": now + timedelta(days=settings.INVITATION_EXPIRY_DAYS),
        "mentor_response": Response.ACCEPTED if creator.email == mentor.email else None,
        "mentee_response": Response.ACCEPTED if creator.email == mentee.email else None,
    }
    # Bounded: each lost race means another create took a slot (or this very pair).
    for _ in range(settings.MAX_PENDING_INVITATIONS_PER_MENTEE + 1):
        slot = _free_slot(mentee.email)
        try:
            return Invitation.objects.create(mentee_slot=slot, **fields)
        except IntegrityError:
            # Either partial unique index: the pair's pending invitation, or the slot.
            if _pending_of(mentor.email, mentee.email).exists():
                raise InvitationExistsError() from None
    raise TooManyPendingInvitationsError()


def _pending_of(mentor_email: str, mentee_email: str):
    return Invitation.objects.filter(
        mentor_email=mentor_email, mentee_email=mentee_email, status=PENDING
    )


def _free_slot(mentee_email: str) -> int:
    """The lowest pending-invitation slot the mentee has free; raises
    TooManyPendingInvitationsError when all MAX_PENDING_INVITATIONS_PER_MENTEE are taken."""
    pending = Invitation.objects.filter(mentee_email=mentee_email, status=PENDING)
    # One query: a pending invitation's slot is unique per mentee (a partial unique index),
    # so the distinct slots taken are the pending invitations, no count() needed.
    taken = set(pending.values_list("mentee_slot", flat=True))
    if len(taken) >= settings.MAX_PENDING_INVITATIONS_PER_MENTEE:
        raise TooManyPendingInvitationsError()
    free = [s for s in range(settings.MAX_PENDING_INVITATIONS_PER_MENTEE) if s not in taken]
    if not free:
        raise TooManyPendingInvitationsError()
    return free[0]


def get_invitation(invitation_id: str) -> Invitation:
    try:
        pk = ObjectId(invitation_id)
    except (InvalidId, TypeError):
        raise InvitationNotFoundError() from None
    invitation = Invitation.objects.filter(pk=pk).first()
    if invitation is None:
        raise InvitationNotFoundError()
    return invitation


def _pending(invitation_id: str) -> Invitation:
    expire_invitations()
    invitation = get_invitation(invitation_id)
    if invitation.status != PENDING:
        raise InvitationNotPendingError(f"This invitation is {invitation.status}.")
    return invitation


def _close(invitation: Invitation, status: str, **fields) -> Invitation:
    """Move a pending invitation to a final status; raises InvitationNotPendingError."""
    now = timezone.now()
    if not Invitation.objects.filter(pk=invitation.pk, status=PENDING).update(
        status=status, deactivated_at=now, **fields
    ):
        raise InvitationNotPendingError()
    invitation.refresh_from_db()
    return invitation


def respond_invitation(*, user: User, invitation_id: str, accept: bool) -> Invitation:
    """The named mentor or mentee accepts or declines. When both have accepted, the match
    is formed exactly as select would; if a rule fails (roster full, mentor unavailable,
    already matched, blacklisted) the invitation stays pending and the error is raised."""
    invitation = _pending(invitation_id)
    if user.email == invitation.mentor_email:
        side = "mentor_response"
    elif user.email == invitation.mentee_email:
        side = "mentee_response"
    else:
        raise NotInvitationPartyError("Only the mentor or mentee named can respond.")
    if not accept:
        return _close(invitation, InvitationStatus.DECLINED, **{side: Response.DECLINED})
    if not Invitation.objects.filter(pk=invitation.pk, status=PENDING).update(
        **{side: Response.ACCEPTED}
    ):
        raise InvitationNotPendingError()
    invitation.refresh_from_db()
    both = Response.ACCEPTED
    if invitation.mentor_response != both or invitation.mentee_response != both:
        return invitation
    return _form_match(invitation)


def _form_match(invitation: Invitation) -> Invitation:
    mentee = User.objects.get(email=invitation.mentee_email)
    try:
        select_mentor(
            mentee=mentee, mentor_email=invitation.mentor_email, invitation_id=invitation.pk
        )
    except AlreadyMatchedError:
        # A concurrent accept of this same invitation may have formed the match already.
        mentee.refresh_from_db(fields=["matchedMentorEmail"])
        if mentee.matchedMentorEmail != invitation.mentor_email:
            raise
    try:
        invitation = _close(invitation, InvitationStatus.ACCEPTED)
    except InvitationNotPendingError:
        invitation.refresh_from_db()
        if invitation.status != InvitationStatus.ACCEPTED:
            raise
    # The mentee is matched now: their other pending invitations can no longer succeed.
    Invitation.objects.filter(mentee_email=invitation.mentee_email, status=PENDING).update(
        status=InvitationStatus.CANCELLED, deactivated_at=timezone.now()
    )
    return invitation


def cancel_invitation(*, user: User, invitation_id: str) -> Invitation:
    """The creator or an admin withdraws a pending invitation."""
    invitation = _pending(invitation_id)
    if user.role != Role.ADMIN and user.email != invitation.created_by_email:
        raise NotInvitationPartyError("Only the creator or an admin can cancel.")
    return _close(invitation, InvitationStatus.CANCELLED)


def list_invitations(*, user: User) -> list[Invitation]:
    """Active (pending, unexpired) invitations involving the user; all of them for admins."""
    expire_invitations()
    query = Invitation.objects.filter(status=PENDING)
    if user.role != Role.ADMIN:
        query = query.filter(Q(mentor_email=user.email) | Q(mentee_email=user.email))
    return list(query.order_by("-created_at", "-pk"))


__all__ = [
    "AppError",
    "cancel_invitation",
    "create_invitation",
    "expire_invitations",
    "get_invitation",
    "list_invitations",
    "respond_invitation",
]
