import csv
import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from matching.models import Invitation, Score
from matching.services import UNMATCH_CONFIRMATION, mentee_unmatch, select_mentor
from matching.tests.factories import scorable_mentee, scorable_mentor
from roster.selectors import unmatched_mentees
from roster.services.exporting import safe_cell
from roster.services.report import programme_report
from users.tests.factories import MenteeFactory, MentorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cohort(settings):
    """One seat per mentor; A takes mentees and gets E1, B does not take mentees."""
    settings.MAX_MENTEES = 1
    a = scorable_mentor(email="a@example.edu", firstName="Ada", lastName="Okafor")
    b = scorable_mentor(email="b@example.edu", is_seeking_mentee=False)
    e1 = scorable_mentee(email="e1@example.edu", firstName="=HYPERLINK(1)", lastName="")
    e2 = scorable_mentee(email="e2@example.edu")
    scorable_mentee(email="e3@example.edu", is_seeking_mentor=False)
    scorable_mentee(email="e4@example.edu", major=[])
    scorable_mentee(email="e5@example.edu", deletion_requested_at=timezone.now())
    scorable_mentee(email="e6@example.edu", blacklisted_mentors=["a@example.edu"])
    select_mentor(mentee=e1, mentor_email=a.email)
    now = timezone.now()
    for status, expires, mentee_email in [
        ("accepted", now, e2.email),
        ("declined", now, e2.email),
        ("expired", now, e2.email),
        ("pending", now + timedelta(days=1), e2.email),
        ("pending", now - timedelta(days=1), "e3@example.edu"),
    ]:
        Invitation.objects.create(
            mentor_email=b.email,
            mentee_email=mentee_email,
            created_by_email=b.email,
            status=status,
            expires_at=expires,
        )
    return a


def rows(text: str) -> list[dict]:
    return list(csv.DictReader(StringIO(text)))


def test_unmatched_mentees_each_with_the_first_reason_that_holds(cohort):
    found = {u.mentee.email: u.reason for u in unmatched_mentees()}

    assert found == {
        "e2@example.edu": "no_free_seat",
        "e3@example.edu": "not_seeking",
        "e4@example.edu": "incomplete_profile",
        "e5@example.edu": "pending_deletion",
        "e6@example.edu": "all_blacklisted",
    }


def test_reasons_once_a_seat_frees_up(cohort, settings):
    settings.MAX_MENTEES = 2
    scorable_mentee(email="e7@example.edu")
    Score.objects.filter(mentee_email="e7@example.edu").delete()

    found = {u.mentee.email: u.reason for u in unmatched_mentees()}

    # e2 has a live pending invitation (from B); e6 still only has A, blacklisted.
    assert found["e2@example.edu"] == "invitation_pending"
    assert found["e6@example.edu"] == "all_blacklisted"
    assert found["e7@example.edu"] == "no_scores"
    e8 = scorable_mentee(email="e8@example.edu")
    assert unmatched_mentees(emails={e8.email})[0].reason == "awaiting_match"


def test_export_matches_writes_the_pair_with_score_breakdown_and_time(cohort):
    out = StringIO()

    call_command("export_matches", stdout=out, stderr=StringIO())

    [pair] = rows(out.getvalue())
    score = Score.objects.get(mentee_email="e1@example.edu", mentor_email="a@example.edu")
    assert pair["mentee_email"] == "e1@example.edu"
    assert pair["mentee_name"] == "'=HYPERLINK(1)"
    assert (pair["mentor_email"], pair["mentor_name"]) == ("a@example.edu", "Ada Okafor")
    assert float(pair["score"]) == pytest.approx(score.score, abs=1e-4)
    assert float(pair["text"]) + float(pair["year"]) + float(pair["categories"]) == (
        pytest.approx(score.score, abs=1e-3)
    )
    assert pair["matched_at"].endswith("Z") and pair["matched_at"][:4].isdigit()


def test_export_rosters_and_unmatched_to_a_file(cohort, tmp_path):
    path = tmp_path / "rosters.csv"
    out = StringIO()

    call_command("export_rosters", "-o", str(path), stdout=out)
    unmatched = StringIO()
    call_command("export_unmatched", stdout=unmatched, stderr=StringIO())

    assert "2 row(s) written to" in out.getvalue()
    assert rows(path.read_text(encoding="utf-8")) == [
        {
            "mentor_email": "a@example.edu",
            "mentor_name": "Ada Okafor",
            "taking_mentees": "yes",
            "capacity": "1",
            "seats_used": "1",
            "mentees": "e1@example.edu",
        },
        {
            "mentor_email": "b@example.edu",
            "mentor_name": cohort.__class__.objects.get(email="b@example.edu").full_name,
            "taking_mentees": "no",
            "capacity": "1",
            "seats_used": "0",
            "mentees": "",
        },
    ]
    reasons = {r["mentee_email"]: r["reason"] for r in rows(unmatched.getvalue())}
    assert reasons["e2@example.edu"] == "no_free_seat" and len(reasons) == 5


def test_report_of_an_empty_programme(settings):
    text = StringIO()

    call_command("programme_report", stdout=text)

    assert "(none)" in text.getvalue()
    assert programme_report()["matches"] == {"scored": 0, "mean_score": None}


def test_formula_cells_are_neutralised():
    assert [safe_cell(v) for v in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "ok", 1.5, -2)] == [
        "'=1+1",
        "'+1",
        "'-1",
        "'@SUM(A1)",
        "'\tx",
        "ok",
        1.5,
        -2,
    ]


def test_programme_report_numbers_and_command(cohort):
    report = programme_report()
    text, as_json = StringIO(), StringIO()
    call_command("programme_report", stdout=text)
    call_command("programme_report", "--json", stdout=as_json)

    assert report["participants"]["MENTEE"] == {
        "total": 6,
        "active": 5,
        "seeking": 5,
        "matched": 1,
        "pending_deletion": 1,
    }
    assert report["participants"]["MENTOR"] == {
        "total": 2,
        "active": 2,
        "seeking": 1,
        "matched": 1,
        "pending_deletion": 0,
    }
    assert report["mentees"] == {"matched": 1, "unmatched": 5}
    assert report["seats"] == {
        "capacity_per_mentor": 1,
        "seats": 2,
        "used": 1,
        "free_with_mentors_taking_mentees": 0,
    }
    assert report["invitations"] == {
        "created": 5,
        "accepted": 1,
        "declined": 1,
        "cancelled": 0,
        "expired": 2,
        "pending": 1,
    }
    score = Score.objects.get(mentee_email="e1@example.edu", mentor_email="a@example.edu").score
    assert report["matches"] == {"scored": 1, "mean_score": round(score, 4)}
    assert report["unmatched_by_reason"] == {
        "pending_deletion": 1,
        "not_seeking": 1,
        "incomplete_profile": 1,
        "all_blacklisted": 1,
        "no_free_seat": 1,
    }
    assert json.loads(as_json.getvalue())["participants"] == report["participants"]
    lines = text.getvalue().splitlines()
    assert "Mentees: 1 matched, 5 unmatched" in lines
    assert "Seats: 1 of 2 used (1 per mentor); 0 free with mentors taking mentees" in lines
    assert any(line.startswith("e6@example.edu") and "all_blacklisted" in line for line in lines)
    assert lines[-1] == "1 mentee(s) matched, 5 unmatched."


def test_matched_at_is_set_by_a_match_and_cleared_by_an_unmatch():
    mentor = MentorFactory()
    mentee = MenteeFactory()
    before = timezone.now()

    select_mentor(mentee=mentee, mentor_email=mentor.email)
    mentee.refresh_from_db()
    matched_at = mentee.matched_at
    mentee_unmatch(mentee=mentee, mentor_email=mentor.email, confirmation=UNMATCH_CONFIRMATION)
    mentee.refresh_from_db()

    assert before - timedelta(seconds=1) <= matched_at <= timezone.now()
    assert (mentee.isMatched, mentee.matched_at) == (False, None)
