import os
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
        parser.add_argument(
            "--exit-with-parent",
            action="store_true",
            help="Stop when the process that started this one exits (`make run`: gunicorn).",
        )

    def handle(
        self, *args, once: bool, poll_seconds: float | None, exit_with_parent: bool, **options
    ):
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
        if exit_with_parent:
            _stop_with_parent(stop)
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


def _stop_with_parent(stop: threading.Event) -> None:
    """`make run` starts the sender from the shell that then becomes gunicorn: a SIGTERM
    reaches only gunicorn, so the sender stops when its parent is gone (it is re-parented)."""
    parent = os.getppid()
    if parent == 1:  # already gone before this process got here
        stop.set()

    def watch():
        while not stop.wait(0.5):
            if os.getppid() != parent:
                stop.set()

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
