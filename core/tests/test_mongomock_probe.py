"""bench/mongomock_probe.py: its operations are right (they pass on the embedded server), and
docs/architecture.md quotes the count it prints on mongomock."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench import mongomock_probe

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db


def test_every_probe_operation_passes_on_the_embedded_server():
    mongomock_probe.create_collections()

    outcomes = mongomock_probe.run_all(mongomock_probe.OPERATIONS + mongomock_probe.BEYOND_THE_ORM)

    assert [(o.name, o.detail) for o in outcomes if not o.ok] == []
    assert len(mongomock_probe.OPERATIONS) >= 20


def test_the_architecture_page_quotes_the_probes_count():
    # In a process of its own: the probe patches mongomock into the backend.
    result = subprocess.run(
        [sys.executable, "-m", "bench.mongomock_probe"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    count = re.search(
        r"^(\d+) of (\d+) ORM operations run correctly on mongomock\.$", result.stdout, re.M
    )
    assert count, result.stdout
    assert count.group(0) in (ROOT / "docs" / "architecture.md").read_text()
