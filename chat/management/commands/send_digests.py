from django.core.management.base import BaseCommand

from chat import notify


class Command(BaseCommand):
    help = "Write the daily digest of unread chat messages to the outbox for users due one."

    def handle(self, *args, **options):
        written = notify.send_digests()
        self.stdout.write(self.style.SUCCESS(f"{written} digest(s) written to the outbox."))
