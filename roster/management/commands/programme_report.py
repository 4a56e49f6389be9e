import json

from django.core.management.base import BaseCommand

from roster.services.report import programme_report, render_text


class Command(BaseCommand):
    help = "Print the programme report: participants, matches, seats, invitations, unmatched."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="Print the report as JSON.")

    def handle(self, *args, **options):
        report = programme_report()
        if options["json"]:
            # Machine output: the JSON alone, no summary line after it.
            self.stdout.write(json.dumps(report, indent=2))
            return
        self.stdout.write(render_text(report))
        self.stdout.write(
            self.style.SUCCESS(
                f"{report['mentees']['matched']} mentee(s) matched, "
                f"{report['mentees']['unmatched']} unmatched."
            )
        )
