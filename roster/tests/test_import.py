from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from matching.models import Score
from matching.services import scores as score_services
from roster.models import ImportFollowUp
from roster.services import importing
from roster.services.importing import RosterFileError, import_roster
from users.models import Role, User
from users.tests.factories import AdminFactory, MenteeFactory, MentorFactory

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "sample_roster.csv"
HEADER = (
    "email,role,firstName,lastName,major,minor,year,hobbies,clubs,goals,"
    "international,commuter,firstgen,outofstate,transfer"
)
GOOD = [
    "m1@example.edu,MENTOR,Ada,Okafor,Computer Science,,4,chess,ACM,mentor programmers,no,,,,",
    "m2@example.edu,MENTOR,Ben,Silva,Biology,,5+,hiking,Pre-Med,research,,,,,",
    "e1@example.edu,MENTEE,Cara,Chen,Computer Science;Math,Stats,1,side projects,Hack,intern,"
    "YES,true,1,0,",
    "e2@example.edu,mentee,Dan,Ito,Biology,,2,birds,Red Cross,med school,,,,,",
]


def row(email: str, role: str = "MENTEE", **cells: str) -> str:
    """A CSV line under HEADER with the named cells set (no quoting needed in these tests)."""
    names = HEADER.split(",")
    values = {"email": email, "role": role, **cells}
    return ",".join(values.get(name, "") for name in names)


def csv_bytes(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


@pytest.fixture
def mails(monkeypatch):
    sent = []
    monkeypatch.setattr(
        "users.password_reset.send_set_password_mail", lambda *, user: sent.append(user.email)
    )
    return sent


def state() -> tuple:
    """What an import decides: the accounts and their profiles, the scores."""
    users = sorted(
        (
            u.email,
            u.role,
            u.firstName,
            tuple(u.major),
            tuple(u.minor),
            u.year,
            u.hobbies,
            u.international,
            u.commuter,
            u.firstgen,
            u.has_usable_password(),
        )
        for u in User.objects.all()
    )
    scores = sorted(
        (s.mentee_email, s.mentor_email, round(s.score, 6)) for s in Score.objects.all()
    )
    return users, scores


def test_import_creates_accounts_scores_once_and_mails_each_created_account(mails, monkeypatch):
    batches, single = [], []
    real = score_services.refresh_scores_for_users
    monkeypatch.setattr(
        importing,
        "refresh_scores_for_users",
        lambda **kw: batches.append(sorted(kw["emails"])) or real(**kw),
    )
    monkeypatch.setattr(score_services, "refresh_scores_for_user", lambda **kw: single.append(kw))

    report = import_roster(data=csv_bytes(*GOOD))

    assert [o.email for o in report.created] == [
        "m1@example.edu",
        "m2@example.edu",
        "e1@example.edu",
        "e2@example.edu",
    ]
    assert (report.updated, report.unchanged, report.rejected) == ([], [], [])
    assert sorted(mails) == sorted(o.email for o in report.created)
    assert batches == [sorted(mails)] and single == []
    assert report.scores_written == 4 and Score.objects.count() == 4
    cara = User.objects.get(email="e1@example.edu")
    assert (cara.role, cara.major, cara.minor, cara.year) == (
        Role.MENTEE,
        ["Computer Science", "Math"],
        ["Stats"],
        "1",
    )
    assert (cara.international, cara.commuter, cara.firstgen, cara.outofstate) == (
        True,
        True,
        True,
        False,
    )
    assert not cara.has_usable_password()
    assert User.objects.get(email="e2@example.edu").role == Role.MENTEE
    assert not ImportFollowUp.objects.exists()


def test_bad_rows_are_rejected_with_line_and_reason_and_good_rows_still_import(mails):
    MentorFactory(email="taken@example.edu")
    AdminFactory(email="boss@example.edu")
    rows = [
        GOOD[2],
        row("bad-email"),
        row("x1@example.edu", "STUDENT"),
        row("x2@example.edu", year="7"),
        row("x3@example.edu", international="maybe"),
        row("x4@example.edu", firstName="N" * 151),
        row("x5@example.edu", major=";".join(f"m{i}" for i in range(11))),
        row("x6@example.edu", goals="g" * 2001),
        row("taken@example.edu"),
        row("boss@example.edu", "MENTOR"),
        "x7@example.edu,MENTEE,too,few",
        row("E1@Example.edu", firstName="Cara"),
        GOOD[3],
    ]

    report = import_roster(data=csv_bytes(*rows))

    rejected = {o.line: o.detail for o in report.rejected}
    assert sorted(rejected) == list(range(3, 14))
    assert "email" in rejected[3]
    assert rejected[4].startswith("role:")
    assert "year" in rejected[5]
    assert rejected[6].startswith("international:")
    assert "firstName" in rejected[7] and "150" in rejected[7]
    assert "10" in rejected[8]
    assert "goals" in rejected[9] and "2000" in rejected[9]
    assert "MENTOR account" in rejected[10] and "ADMIN account" in rejected[11]
    assert "header has 15" in rejected[12]
    assert "line 2" in rejected[13]
    assert [o.email for o in report.created] == ["e1@example.edu", "e2@example.edu"]
    assert sorted(User.objects.values_list("email", flat=True)) == [
        "boss@example.edu",
        "e1@example.edu",
        "e2@example.edu",
        "taken@example.edu",
    ]
    assert sorted(mails) == ["e1@example.edu", "e2@example.edu"]


def test_second_run_changes_nothing(mails):
    import_roster(data=csv_bytes(*GOOD))
    before, sent = state(), list(mails)

    report = import_roster(data=csv_bytes(*GOOD))

    assert len(report.unchanged) == 4
    assert (report.created, report.updated, report.rejected) == ([], [], [])
    assert (report.mails_sent, report.scores_written) == (0, 0)
    assert state() == before and mails == sent


def test_update_touches_only_the_columns_in_the_file(mails):
    mentee = MenteeFactory(email="e1@example.edu", hobbies="old", goals="keep me", year="2")

    report = import_roster(
        data=csv_bytes(
            "E1@example.edu,MENTEE,,,Law,,3,new",
            header="email,role,lastName,firstName,major,minor,year,hobbies",
        )
    )

    mentee.refresh_from_db()
    assert [(o.email, o.detail) for o in report.updated] == [
        ("e1@example.edu", "firstName, hobbies, lastName, major, year")
    ]
    assert (mentee.major, mentee.year, mentee.hobbies, mentee.goals) == (
        ["Law"],
        "3",
        "new",
        "keep me",
    )
    assert mentee.has_usable_password() and mails == []


def test_utf8_bom_and_crlf_are_accepted(mails):
    data = "\ufeff".encode() + csv_bytes(*GOOD[:1]).replace(b"\n", b"\r\n")

    report = import_roster(data=data)

    assert [o.email for o in report.created] == ["m1@example.edu"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (csv_bytes(GOOD[0], header=HEADER + ",nickname"), "Unknown column(s): nickname"),
        (csv_bytes("x@example.edu", header="email"), "Missing required column(s): role"),
        (csv_bytes(GOOD[0], header=HEADER.replace("goals", "email")), "Repeated column(s)"),
        (b"", "header row is required"),
        ("email,role\nj\u00f6@example.edu,MENTEE\n".encode("latin-1"), "not UTF-8"),
    ],
)
def test_a_bad_file_imports_nothing(data, message, mails):
    with pytest.raises(RosterFileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        import_roster(data=data)

    assert not User.objects.exists() and mails == []


def test_row_limit(monkeypatch):
    monkeypatch.setattr(importing, "MAX_ROWS", 2)

    with pytest.raises(RosterFileError, match="more than 2 rows"):
        import_roster(data=csv_bytes(*GOOD[:3]))

    assert not User.objects.exists()


def test_dry_run_reports_and_changes_nothing(mails):
    MenteeFactory(email="e1@example.edu", hobbies="old")
    before = state()

    report = import_roster(data=csv_bytes(*GOOD, row("bad")), dry_run=True)

    assert (len(report.created), len(report.updated), len(report.rejected)) == (3, 1, 1)
    assert report.summary().startswith("Dry run: 3 created, 1 updated, 0 unchanged, 1 rejected")
    assert state() == before and mails == [] and not ImportFollowUp.objects.exists()


def test_a_killed_import_rerun_converges_to_the_clean_result(mails, monkeypatch):
    import_roster(data=csv_bytes(*GOOD))
    clean = state()
    User.objects.all().delete()
    Score.objects.all().delete()
    mails.clear()
    real = importing.create_participant
    calls = []

    def dies_on_third_row(plan):
        calls.append(plan.email)
        if len(calls) == 3:
            raise KeyboardInterrupt("killed")
        return real(plan)

    monkeypatch.setattr(importing, "create_participant", dies_on_third_row)
    with pytest.raises(KeyboardInterrupt):
        import_roster(data=csv_bytes(*GOOD))
    assert User.objects.count() == 2 and mails == [] and Score.objects.count() == 0
    monkeypatch.setattr(importing, "create_participant", real)

    report = import_roster(data=csv_bytes(*GOOD))

    assert (len(report.created), len(report.unchanged)) == (2, 2)
    assert state() == clean
    assert sorted(mails) == sorted(u[0] for u in clean[0])
    assert not ImportFollowUp.objects.exists()


def test_a_failure_while_scoring_is_finished_by_the_next_run(mails, monkeypatch):
    import_roster(data=csv_bytes(*GOOD))
    clean = state()
    User.objects.all().delete()
    Score.objects.all().delete()
    mails.clear()

    def fails(**kwargs):
        raise RuntimeError("scoring died")

    monkeypatch.setattr(importing, "refresh_scores_for_users", fails)
    with pytest.raises(RuntimeError):
        import_roster(data=csv_bytes(*GOOD))
    monkeypatch.undo()
    monkeypatch.setattr(
        "users.password_reset.send_set_password_mail", lambda *, user: mails.append(user.email)
    )

    report = import_roster(data=csv_bytes(*GOOD))

    assert len(report.unchanged) == 4 and report.scores_written == 4
    assert state() == clean and sorted(mails) == sorted(set(mails))


def test_command_prints_each_row_and_a_summary_for_the_sample_file(mails):
    out = StringIO()

    call_command("import_participants", str(SAMPLE), stdout=out, stderr=StringIO())

    text = out.getvalue()
    assert "line 2: created ada.okafor@example.edu" in text
    assert "line 6: rejected elena.rossi@example.edu: year" in text
    assert "line 7: rejected not-an-email: email" in text
    assert "line 8: rejected gabriel.kim@example.edu: role" in text
    assert "line 9: rejected hana.patel@example.edu: international" in text
    assert "line 10: rejected carmen.chen@example.edu: the email repeats line 4's" in text
    assert text.strip().splitlines()[-1].startswith("5 created, 0 updated, 0 unchanged, 5 rejected")
    assert "line 11: created ivan.mensah@example.edu" in text
    assert len(mails) == 5


def test_command_dry_run_and_bad_file(tmp_path, mails):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes(GOOD[0], header=HEADER + ",extra"))
    out = StringIO()

    call_command("import_participants", str(SAMPLE), "--dry-run", stdout=out)
    with pytest.raises(CommandError, match="Unknown column.*Nothing was imported"):
        call_command("import_participants", str(bad), stdout=StringIO())
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_participants", str(tmp_path / "missing.csv"), stdout=StringIO())

    assert "Dry run: 5 created" in out.getvalue()
    assert not User.objects.exists() and mails == []
