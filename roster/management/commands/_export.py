"""The shared body of the export commands: one CSV to -o FILE or to stdout."""

from django.core.management.base import BaseCommand, CommandError

from roster.services.exporting import export


class ExportCommand(BaseCommand):
    kind = ""  # a key of roster.services.exporting.EXPORTS

    def add_arguments(self, parser):
        parser.add_argument(
            "-o", "--output", help="Write the CSV to this file (default: standard output)."
        )

    def handle(self, *args, **options):
        path = options["output"]
        if path is None:
            # The CSV is the output: the summary goes to stderr so a redirect stays clean.
            rows = export(self.kind, self.stdout)
            self.stderr.write(self.style.SUCCESS(f"{rows} row(s) exported."))
            return
        try:
            with open(path, "w", encoding="utf-8", newline="") as out:
                rows = export(self.kind, out)
        except OSError as exc:
            raise CommandError(f"Cannot write {path}: {exc.strerror}.") from None
        self.stdout.write(self.style.SUCCESS(f"{rows} row(s) written to {path}."))
