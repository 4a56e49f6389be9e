"""Write the OpenAPI spec the code defines to docs/openapi.json (committed; a test compares)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core.api import spec_text

DEFAULT_OUTPUT = Path(settings.BASE_DIR) / "docs" / "openapi.json"


class Command(BaseCommand):
    help = "Export the API's OpenAPI spec (from the code) to docs/openapi.json."

    def add_arguments(self, parser):
        parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
        parser.add_argument(
            "--check", action="store_true", help="Fail if the file differs instead of writing."
        )

    def handle(self, *args, output: Path, check: bool, **options):
        text = spec_text()
        if check:
            if not output.exists() or output.read_text() != text:
                raise CommandError(f"{output} is not the spec of the code; run export_openapi.")
            self.stdout.write(self.style.SUCCESS(f"{output} is up to date."))
            return
        output.write_text(text)
        self.stdout.write(self.style.SUCCESS(f"Wrote {output}."))
