"""Shared bench plumbing: Django set-up on a scratch database, results and report files."""

import json
import os
import platform
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"
REPORT = ROOT / "docs" / "benchmarks.md"
BENCH_DB = "mentor_match_bench"


@dataclass
class Result:
    name: str
    value: float
    unit: str


@dataclass
class Section:
    """One benchmark's contribution: its results and a Markdown section for the report."""

    title: str
    results: list[Result] = field(default_factory=list)
    markdown: str = ""


def json_exchange(conn, method: str, path: str, *, body=None, token=None) -> tuple[int, bytes]:
    """One JSON API request on a keep-alive http.client connection: (status, raw body)."""
    headers = {"Accept": "application/json"}
    payload = None
    if body is not None:
        payload = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn.request(method, path, body=payload, headers=headers)
    response = conn.getresponse()
    return response.status, response.read()


def setup_django() -> None:
    """Configure Django against a scratch database, migrated from empty."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DJANGO_DEBUG", "1")
    # Long operations (deleting 20,000 documents): a command's timeouts, not a request's.
    os.environ.setdefault("MENTOR_MATCH_PROCESS", "command")
    os.environ["MONGODB_NAME"] = BENCH_DB
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    connection.ensure_connection()
    connection.connection.drop_database(BENCH_DB)
    call_command("migrate", verbosity=0)


def database_description() -> str:
    from django.db import connection

    info = connection.connection.admin.command("buildInfo")
    embedded = os.environ.get("MONGODB_EMBEDDED") == "1"
    kind = "embedded mongoeco wire server (memory engine)" if embedded else "MongoDB"
    return f"{kind}, reports version {info.get('version', '?')}"


def machine_description() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def write_outputs(sections: list[Section]) -> None:
    results = [asdict(r) for s in sections for r in s.results]
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    parts = [
        "# Benchmarks",
        "",
        "Written by `make bench` (python -m bench); the numbers below are from the last run. "
        "A number that misses its target is marked **MISS** and stays in the table.",
        "",
        f"- Machine: {machine_description()}",
        f"- Database: {database_description()}",
        "- Raw results: bench/results.json",
        "",
    ]
    for section in sections:
        parts += [f"## {section.title}", "", section.markdown.strip(), ""]
    REPORT.write_text("\n".join(parts))
