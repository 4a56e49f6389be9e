from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from matching.services.repair import repair_matches


class Command(BaseCommand):
    help = "Make every mentee's match and every mentor's roster agree (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Print what would change; change nothing."
        )
        parser.add_argument(
            "--ignore-lease",
            action="store_true",
            help="Treat every intent as stale. Only while no server is running.",
        )

    def handle(self, *args, **options):
        now = timezone.now()
        if options["ignore_lease"]:
            now += timedelta(seconds=settings.MATCH_INTENT_LEASE_SECONDS)
        dry_run = options["dry_run"]
        report = repair_matches(dry_run=dry_run, now=now)
        for change in report.changes:
            self.stdout.write(("would: " if dry_run else "") + change)
        if report.in_progress:
            self.stdout.write(
                f"{report.in_progress} mentee(s) left alone: a live request holds their intent."
            )
        count = len(report.changes)
        summary = (
            f"Dry run: {count} change(s) would be made."
            if dry_run
            else f"Matches consistent: {count} change(s) made."
        )
        self.stdout.write(self.style.SUCCESS(summary))
