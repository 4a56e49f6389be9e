"""Counting the database commands a piece of code sends, with pymongo's command monitoring.

Used by the tests that pin each endpoint's number of round trips (core/tests/
test_round_trips.py) and by the endpoint bench (bench/endpoints.py), which lists them in
docs/benchmarks.md. A command listener can only be given to a MongoClient when it is
created, so `counting()` reopens the Django connection's client with the listener in its
options (the backend's own close_pool(), then connect()) and reopens it without afterwards.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections
from pymongo import monitoring


class CommandLog(monitoring.CommandListener):
    """The commands started while recording: (command name, collection or None)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._recording = False
        self.commands: list[tuple[str, str | None]] = []

    @contextmanager
    def recording(self) -> Iterator[list[tuple[str, str | None]]]:
        """Record the commands sent inside the block (and only those) into a fresh list."""
        with self._lock:
            self.commands = []
            self._recording = True
        try:
            yield self.commands
        finally:
            with self._lock:
                self._recording = False

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if not self._recording:
            return
        target = event.command.get(event.command_name)
        with self._lock:
            self.commands.append((event.command_name, target if isinstance(target, str) else None))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def _reopen(alias: str, options: dict) -> None:
    connection = connections[alias]
    connection.close_pool()
    connection.settings_dict["OPTIONS"] = options
    connection.connect()


@contextmanager
def counting(alias: str = DEFAULT_DB_ALIAS) -> Iterator[CommandLog]:
    """The connection `alias` reopened with a CommandLog listening; the plain client again
    afterwards."""
    log = CommandLog()
    options = connections[alias].settings_dict["OPTIONS"]
    _reopen(alias, {**options, "event_listeners": [*options.get("event_listeners", ()), log]})
    try:
        yield log
    finally:
        _reopen(alias, options)
