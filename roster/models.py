"""The roster app's data: follow-up work an import still owes, and the admin's view of users."""

from django.db import models
from django.utils import timezone

from users.models import User


class ImportFollowUp(models.Model):
    """Work an import owes one account after its row was written: the set-password mail
    (created accounts) and the batch rescoring (created or rescored profiles).

    Written before the account's own write and deleted once both are done, so an import
    killed half-way leaves a record that the next import finishes, whatever its file.
    """

    email = models.EmailField(unique=True)
    needs_mail = models.BooleanField(default=False)
    needs_scores = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.email


class Participant(User):
    """Mentees and mentors as the programme coordinator sees them in the admin (import,
    exports, report); the same documents as User."""

    class Meta:
        proxy = True
        verbose_name = "participant"
