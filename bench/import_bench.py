"""Roster import benchmark (issue 16): a 1,000-row CSV (Faker, seeded; two mentees per
mentor) imported into an empty database with import_participants' service, then the same
file again (all unchanged). The scoring part (one batch rescoring of every new account,
mentee rows × mentor columns) is timed on its own."""

import csv
import io
import random
import time

from bench.common import Result, Section

ROWS = 1000
MENTOR_SHARE = 3  # one row in three is a mentor


def roster_csv(rows: int = ROWS, seed: int = 2026) -> bytes:
    """A realistic roster: the demo cohort's themes, Faker names, unique emails."""
    from faker import Faker

    from roster.schemas import COLUMNS
    from users.categories import CATEGORY_FIELDS
    from users.demo import THEMES

    fake = Faker()
    Faker.seed(seed)
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for i in range(rows):
        mentor = i % MENTOR_SHARE == 0
        major, minors, hobbies, clubs, goals = rng.choice(THEMES)
        first, last = fake.first_name(), fake.last_name()
        writer.writerow(
            [
                f"{first}.{last}.{i}@example.edu".lower().replace(" ", ""),
                "MENTOR" if mentor else "MENTEE",
                first,
                last,
                major,
                rng.choice(minors) if rng.random() < 0.5 else "",
                rng.choice(["3", "4", "5", "5+"] if mentor else ["1", "1", "2", "3"]),
                ", ".join(rng.sample(hobbies, 2)) + f", {fake.word()}",
                rng.choice(clubs),
                f"I want to {rng.choice(goals)}; {fake.sentence(nb_words=6)}",
                *("yes" if rng.random() < 0.25 else "" for _ in CATEGORY_FIELDS),
            ]
        )
    return out.getvalue().encode()


def run() -> Section:
    from matching import scoring
    from roster.services import importing

    data = roster_csv()
    scoring.get_embedding_model()  # loading the model is start-up, not import time
    spent = {"scoring": 0.0}
    real = importing.refresh_scores_for_users

    def timed(**kwargs):
        began = time.perf_counter()
        try:
            return real(**kwargs)
        finally:
            spent["scoring"] += time.perf_counter() - began

    importing.refresh_scores_for_users = timed
    try:
        encodes = scoring.encode_count
        began = time.perf_counter()
        first = importing.import_roster(data=data)
        total = time.perf_counter() - began
        encodes = scoring.encode_count - encodes
        began = time.perf_counter()
        again = importing.import_roster(data=data)
        rerun = time.perf_counter() - began
    finally:
        importing.refresh_scores_for_users = real
    assert len(first.created) == ROWS and len(again.unchanged) == ROWS, (first, again)
    results = [
        Result("import.1000_rows.seconds", round(total, 2), "s"),
        Result("import.1000_rows.scoring_seconds", round(spent["scoring"], 2), "s"),
        Result("import.1000_rows.rows_seconds", round(total - spent["scoring"], 2), "s"),
        Result("import.1000_rows.scores_written", first.scores_written, "count"),
        Result("import.1000_rows.encodes", encodes, "count"),
        Result("import.1000_rows.rerun_seconds", round(rerun, 2), "s"),
    ]
    mentors = (ROWS + MENTOR_SHARE - 1) // MENTOR_SHARE
    markdown = "\n".join(
        [
            f"`python -m bench import`: a {ROWS}-row roster ({ROWS - mentors} mentees, "
            f"{mentors} mentors; Faker, seed 2026) imported into an empty database by "
            "`roster.services.importing.import_roster` (what `import_participants` runs), "
            "then imported again. One run on a shared, noisy 2-core machine: read the "
            "figures as orders of magnitude.",
            "",
            "| what | value |",
            "|---|---|",
            f"| import and score, total | {total:.1f} s |",
            f"| of which the batch rescoring | {spent['scoring']:.1f} s |",
            f"| of which validating and writing the rows | {total - spent['scoring']:.1f} s |",
            f"| scores written | {first.scores_written} |",
            f"| profile texts encoded | {encodes} |",
            f"| second run (all {ROWS} rows unchanged) | {rerun:.1f} s |",
            "",
            f"The score writes dominate: {first.scores_written} upserts (every new mentee "
            "against every new mentor) through the embedded server, which the scoring "
            "section measures at ~1,500 scores/s on an idle machine; this run shared the "
            "2 cores with other test and bench runs (load average ~8). Real MongoDB writes "
            "them much faster. The set-password mails are wt-mail's (a placeholder that "
            "does nothing here).",
        ]
    )
    return Section("Roster import", results, markdown)
