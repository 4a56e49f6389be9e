"""The launcher: `python -m embedded_mongo run -- CMD` (embedded_mongo/launcher.py)."""

import os
import subprocess
import sys
from pathlib import Path

from embedded_mongo import REPO


def _process_gone(pid: int) -> bool:
    """True when pid is no longer the embedded server (gone, or reused by something else)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return True
    return b"embedded_mongo\0serve" not in cmdline


def test_run_returns_child_exit_code_and_leaves_no_server(tmp_path):
    child = (
        "import os, sys\n"
        "from pymongo import MongoClient\n"
        "MongoClient(os.environ['MONGODB_URI']).admin.command('ping')\n"
        "print(os.environ['MONGODB_EMBEDDED_PID'])\n"
        "sys.exit(7)\n"
    )
    env = {key: value for key, value in os.environ.items() if key != "MONGODB_URI"}
    finished = subprocess.run(
        [sys.executable, "-m", "embedded_mongo", "run", "--", sys.executable, "-c", child],
        check=False,
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert finished.returncode == 7, finished.stderr
    server_pid = int(finished.stdout.strip())
    assert _process_gone(server_pid)
