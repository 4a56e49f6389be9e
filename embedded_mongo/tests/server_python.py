"""Run a probe in the embedded server's own Python (.venv-mongo, where mongoeco lives)."""

import os
import subprocess

from embedded_mongo import REPO, mongoeco_python


def run_probe(code: str, *args: str, env: dict | None = None, timeout: int = 120) -> str:
    """The stdout of `python -c code args...` run from the repository's root in the
    server's Python; a probe that fails fails the test with its stderr."""
    result = subprocess.run(
        [mongoeco_python(), "-c", code, *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout
