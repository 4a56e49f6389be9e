"""python -m bench: run every benchmark, write bench/results.json and docs/benchmarks.md."""

from bench import common


def main() -> None:
    common.setup_django()
    from bench import assignment, db, scoring

    sections = []
    for module in (db, scoring, assignment):
        section = module.run()
        print(f"== {section.title}")
        for result in section.results:
            print(f"   {result.name} = {result.value} {result.unit}")
        sections.append(section)
    common.write_outputs(sections)
    written = [str(p.relative_to(common.ROOT)) for p in (common.RESULTS, common.REPORT)]
    print("wrote " + " and ".join(written))


if __name__ == "__main__":
    main()
