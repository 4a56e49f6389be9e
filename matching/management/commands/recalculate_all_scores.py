import sys

from django.core.management.base import BaseCommand, CommandError

from matching.models import Score
from matching.services import recalculate_all_scores
from matching.services.scores import DEFAULT_BATCH_SIZE


class Command(BaseCommand):
    help = "Rebuild every mentee–mentor score (encodes each distinct profile once)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch-size",
            type=int,
            default=DEFAULT_BATCH_SIZE,
            help=f"Scores written per database round trip (default {DEFAULT_BATCH_SIZE}).",
        )
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing if any score exists."
        )

    def handle(self, *args, **options):
        batch_size = options["batch_size"]
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        if options["if_empty"] and Score.objects.exists():
            self.stdout.write(self.style.SUCCESS("Scores already exist; nothing to do."))
            return
        verbosity = options["verbosity"]
        bar = None
        stderr_tty = getattr(sys.stderr, "isatty", lambda: False)()

        def progress(done: int, total: int) -> None:
            nonlocal bar
            if verbosity == 0:
                return
            if stderr_tty:
                if bar is None:
                    from tqdm import tqdm

                    bar = tqdm(total=total, unit="score", desc="Writing scores", file=sys.stderr)
                bar.update(done - bar.n)
            else:
                self.stderr.write(f"{done}/{total} scores written")

        try:
            summary = recalculate_all_scores(batch_size=batch_size, progress=progress)
        finally:
            if bar is not None:
                bar.close()
        self.stdout.write(
            self.style.SUCCESS(
                f"{summary.scores} scores for {summary.mentees} mentees × {summary.mentors} "
                f"mentors; {summary.encoded} profile(s) encoded; {summary.removed} stale "
                "score(s) removed."
            )
        )
