from django.conf import settings
from django.core.management.base import BaseCommand

from users.services import accounts_due_for_purge, purge_deleted_users


class Command(BaseCommand):
    help = (
        "Delete accounts whose deletion grace period (ACCOUNT_DELETION_GRACE_DAYS) has passed, "
        "with their scores, messages and invitations; counterpart rosters are updated."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="List the accounts that would be purged and change nothing.",
        )

    def handle(self, *args, dry_run=False, **options):
        if dry_run:
            due = list(accounts_due_for_purge())
            for user in due:
                requested = user.deletion_requested_at.isoformat(timespec="seconds")
                self.stdout.write(f"would purge {user.email} ({user.role}, requested {requested})")
            days = settings.ACCOUNT_DELETION_GRACE_DAYS
            self.stdout.write(
                f"{len(due)} account(s) past the {days}-day grace period; dry run, nothing changed."
            )
            return
        purged = purge_deleted_users()
        for email in purged:
            self.stdout.write(f"purged {email}")
        self.stdout.write(self.style.SUCCESS(f"{len(purged)} account(s) purged."))
