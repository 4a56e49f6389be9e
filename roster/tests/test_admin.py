from http import HTTPStatus
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from users.models import User
from users.tests.factories import AdminFactory, MenteeFactory, MentorFactory

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "sample_roster.csv"
CHANGELIST = "/admin/roster/participant/"


@pytest.fixture
def superuser_client():
    client = Client(HTTP_HOST="localhost")
    client.force_login(AdminFactory())
    return client


@pytest.fixture
def mails(monkeypatch):
    sent = []
    monkeypatch.setattr(
        "users.password_reset.send_set_password_mail", lambda *, user: sent.append(user.email)
    )
    return sent


def upload(client, data: bytes, *, dry_run: bool):
    body = {"file": SimpleUploadedFile("roster.csv", data, content_type="text/csv")}
    if dry_run:
        body["dry_run"] = "on"
    return client.post(CHANGELIST + "import/", body)


def test_import_page_dry_run_then_apply(superuser_client, mails):
    page = superuser_client.get(CHANGELIST + "import/")
    dry = upload(superuser_client, SAMPLE.read_bytes(), dry_run=True)
    before = User.objects.count()

    applied = upload(superuser_client, SAMPLE.read_bytes(), dry_run=False)

    assert page.status_code == HTTPStatus.OK and b'name="file"' in page.content
    assert dry.status_code == HTTPStatus.OK
    assert "Dry run: 5 created, 0 updated, 0 unchanged, 5 rejected" in dry.content.decode()
    assert before == 1 and User.objects.count() == 6
    text = applied.content.decode()
    assert "5 created, 0 updated, 0 unchanged, 5 rejected" in text
    assert "elena.rossi@example.edu" in text and "year" in text
    assert len(mails) == 5


def test_import_page_refuses_a_bad_file(superuser_client, mails):
    response = upload(
        superuser_client, b"email,role,nickname\nx@example.edu,MENTEE,x\n", dry_run=False
    )

    assert response.status_code == HTTPStatus.OK
    assert "Unknown column(s): nickname" in response.content.decode()
    assert User.objects.count() == 1 and mails == []


def test_report_page_and_links(superuser_client):
    MenteeFactory()

    changelist = superuser_client.get(CHANGELIST)
    report = superuser_client.get(CHANGELIST + "report/")

    assert changelist.status_code == HTTPStatus.OK
    assert b"import/" in changelist.content and b"report/" in changelist.content
    assert report.status_code == HTTPStatus.OK
    assert "Mentees: 0 matched, 1 unmatched" in report.content.decode()


def test_export_action_returns_csv_of_the_selected(superuser_client):
    chosen = MentorFactory(email="chosen@example.edu")
    MentorFactory(email="other@example.edu")

    response = superuser_client.post(
        CHANGELIST, {"action": "export_rosters", "_selected_action": [str(chosen.pk)]}
    )

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    lines = response.content.decode().splitlines()
    assert lines[0] == "mentor_email,mentor_name,taking_mentees,capacity,seats_used,mentees"
    assert len(lines) == 2 and lines[1].startswith("chosen@example.edu,")


def test_pages_need_a_staff_login():
    client = Client(HTTP_HOST="localhost")
    client.force_login(MenteeFactory())

    for url in (CHANGELIST + "import/", CHANGELIST + "report/"):
        response = client.get(url)
        assert response.status_code == HTTPStatus.FOUND and "/login/" in response["Location"]
