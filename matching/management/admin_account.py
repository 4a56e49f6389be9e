"""The ADMIN account a command acts as (propose_matches --apply, run_round)."""

from django.core.management.base import CommandError

from users.models import Role, User


def admin_for_command(email: str | None, *, missing: str = "No ADMIN account.") -> User:
    """The active ADMIN with that email, else the first ADMIN to sign up; CommandError if
    there is none."""
    admins = User.objects.filter(role=Role.ADMIN, is_active=True)
    admin = (
        admins.filter(email=email.strip().lower()).first()
        if email
        else admins.order_by("date_joined", "pk").first()
    )
    if admin is None:
        raise CommandError(f"No ADMIN account {email!r}." if email else missing)
    return admin
