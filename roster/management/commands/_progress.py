"""The progress display of the roster commands (STYLE 1.6): a tqdm bar on stderr on a
terminal, one line per batch otherwise, nothing at --verbosity 0."""

import sys
from contextlib import contextmanager


@contextmanager
def progress_bar(command, *, verbosity: int, unit: str, desc: str):
    bar = None
    tty = getattr(sys.stderr, "isatty", lambda: False)()

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if verbosity == 0:
            return
        if not tty:
            command.stderr.write(f"{desc}: {done}/{total} {unit}(s)")
            return
        if bar is None:
            from tqdm import tqdm

            bar = tqdm(total=total, unit=unit, desc=desc, file=sys.stderr)
        bar.update(done - bar.n)

    try:
        yield progress
    finally:
        if bar is not None:
            bar.close()
