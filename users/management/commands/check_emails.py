from django.core.management.base import BaseCommand

from users.services import emails_to_review


class Command(BaseCommand):
    help = "List stored emails that break the email rules or are not in their one stored form."

    def handle(self, *args, **options):
        found = emails_to_review()
        for email, problem in found:
            self.stdout.write(f"{email}: {problem}")
        summary = f"{len(found)} account email(s) to review; nothing changed."
        self.stdout.write(self.style.WARNING(summary) if found else self.style.SUCCESS(summary))
