"""python -m bench [SECTION ...]: run the benchmarks, write bench/results.json and
docs/benchmarks.md.

With no SECTION every benchmark runs and both files are rewritten. Naming sections (db,
scoring, assignment, rounds, hashing, load, endpoints, import) runs only those: their
entries in results.json and their parts of benchmarks.md are replaced, everything else is
kept from the last run.
"""

import importlib
import json
import re
import sys
from dataclasses import asdict

from bench import common

SECTIONS = ("db", "scoring", "assignment", "rounds", "hashing", "load", "endpoints", "import")


def _prefixes(section: common.Section) -> set[str]:
    return {r.name.split(".", 1)[0] for r in section.results}


def _previous_report() -> list[tuple[str, str]]:
    """(title, markdown) of each section of the current report, in order."""
    if not common.REPORT.exists():
        return []
    parts = re.split(r"^## (.+)$", common.REPORT.read_text(), flags=re.MULTILINE)
    return [(parts[i].strip(), parts[i + 1].strip()) for i in range(1, len(parts), 2)]


def _write_merged(new: list[common.Section]) -> None:
    """Replace the sections that ran (by title in the report, by result-name prefix in
    results.json), keep the others where they were; sections new to the files go last."""
    previous = json.loads(common.RESULTS.read_text()) if common.RESULTS.exists() else []
    fresh = {s.title: s for s in new}
    sections = []
    for title, markdown in _previous_report():
        if title in fresh:
            sections.append(fresh.pop(title))
        else:
            sections.append(common.Section(title, [], markdown))
    sections += fresh.values()
    common.write_outputs(sections)  # the report; results.json is rewritten below
    merged, placed = [], set()
    for entry in previous:
        prefix = entry["name"].split(".", 1)[0]
        owners = [s for s in new if prefix in _prefixes(s)]
        if not owners:
            merged.append(entry)
            continue
        for section in owners:
            if section.title not in placed:
                merged += [asdict(r) for r in section.results]
                placed.add(section.title)
    for section in new:
        if section.title not in placed:
            merged += [asdict(r) for r in section.results]
    common.RESULTS.write_text(json.dumps(merged, indent=2) + "\n")


def main(argv: list[str]) -> None:
    unknown = [name for name in argv if name not in SECTIONS]
    if unknown:
        sys.exit(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    chosen = [name for name in SECTIONS if name in argv] or list(SECTIONS)
    common.setup_django()

    sections = []
    for name in chosen:
        # "import" is a keyword: its module is bench/import_bench.py.
        module = "import_bench" if name == "import" else name
        section = importlib.import_module(f"bench.{module}").run()
        print(f"== {section.title}")
        for result in section.results:
            print(f"   {result.name} = {result.value} {result.unit}")
        sections.append(section)
    if len(chosen) == len(SECTIONS):
        common.write_outputs(sections)
    else:
        _write_merged(sections)
    written = [str(p.relative_to(common.ROOT)) for p in (common.RESULTS, common.REPORT)]
    print("wrote " + " and ".join(written))


if __name__ == "__main__":
    main(sys.argv[1:])
