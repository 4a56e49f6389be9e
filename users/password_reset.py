"""Password reset and set-password mails (wt-mail)."""

from users.models import User


def send_set_password_mail(*, user: User) -> None:
    """placeholder — wt-mail provides it"""
