import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand

from notifications import sender


class Command(BaseCommand):
    help = "Send the outbox's due mails with retries and backoff; loops until stopped."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="One pass, then exit.")
        parser.add_argument(
            "--poll-seconds",
            type=float,
            default=None,
            help="Pause between passes (default OUTBOX_POLL_SECONDS).",
        )

    def handle(self, *args, once: bool, poll_seconds: float | None, **options):
        if once:
            sender.tick()
            counts = sender.send_due()
            self.stdout.write(self.style.SUCCESS(_summary(counts)))
            return
        stop = threading.Event()
        # SIGTERM (gunicorn's launcher, docker stop) and Ctrl-C end the loop after the mail
        # in hand: it is marked before exit, never left claimed.
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        poll = poll_seconds if poll_seconds is not None else settings.OUTBOX_POLL_SECONDS
        self.stdout.write(f"Sending mails (EMAIL_BACKEND={settings.EMAIL_BACKEND}); Ctrl-C stops.")
        self.stdout.flush()

        def report(counts):
            if any(counts.values()):
                self.stdout.write(_summary(counts))
                self.stdout.flush()

        sender.run(stop=stop, poll_seconds=poll, on_pass=report)
        self.stdout.write(self.style.SUCCESS("Sender stopped."))


def _summary(counts: dict) -> str:
    return ", ".join(f"{counts[k]} {k}" for k in ("sent", "retry", "failed", "unknown"))
