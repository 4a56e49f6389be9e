from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from matching.services.scores import DEFAULT_BATCH_SIZE
from roster.management.commands._progress import progress_bar
from roster.services.importing import ImportReport, RosterFileError, import_roster


def report_lines(report: ImportReport) -> list[str]:
    """One line per created, updated or rejected row, in file order (unchanged rows are
    only counted)."""
    lines = [(o.line, f"created {o.email}") for o in report.created]
    lines += [(o.line, f"updated {o.email} ({o.detail})") for o in report.updated]
    lines += [(o.line, f"rejected {o.email or '(no email)'}: {o.detail}") for o in report.rejected]
    return [f"line {line}: {text}" for line, text in sorted(lines)]


class Command(BaseCommand):
    help = "Create or update mentees and mentors from a roster CSV (docs/operations.md)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="The roster CSV (UTF-8, header row required).")
        parser.add_argument(
            "--dry-run", action="store_true", help="Validate and report; write nothing."
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=DEFAULT_BATCH_SIZE,
            help=f"Scores written per database round trip (default {DEFAULT_BATCH_SIZE}).",
        )

    def handle(self, *args, **options):
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        try:
            data = Path(options["file"]).read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {options['file']}: {exc.strerror}.") from None
        with progress_bar(
            self, verbosity=options["verbosity"], unit="score", desc="Writing scores"
        ) as progress:
            try:
                report = import_roster(
                    data=data,
                    dry_run=options["dry_run"],
                    batch_size=options["batch_size"],
                    progress=progress,
                )
            except RosterFileError as exc:
                raise CommandError(f"{exc} Nothing was imported.") from None
        for line in report_lines(report):
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS(report.summary()))
