from django.core.management.base import BaseCommand

from users.services import purge_deleted_users


class Command(BaseCommand):
    help = "Delete accounts whose deletion grace period has passed."

    def handle(self, *args, **options):
        purged = purge_deleted_users()
        for email in purged:
            self.stdout.write(f"purged {email}")
        self.stdout.write(self.style.SUCCESS(f"{len(purged)} account(s) purged."))
