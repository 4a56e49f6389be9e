from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from users.demo import DEMO_PASSWORD, MENTEE_COUNT, MENTOR_COUNT
from users.models import RefreshToken, User
from users.signals import user_purged
from users.tests.factories import MenteeFactory

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_a_varied_cohort_once():
    out = StringIO()

    call_command("seed_demo", stdout=out)
    call_command("seed_demo", stdout=StringIO())

    assert User.objects.filter(role="MENTEE").count() == MENTEE_COUNT
    assert User.objects.filter(role="MENTOR").count() == MENTOR_COUNT
    assert User.objects.filter(role="ADMIN", is_staff=True).count() == 1
    mentees = list(User.objects.filter(role="MENTEE"))
    assert len({tuple(u.major) for u in mentees}) >= 5
    assert len({u.year for u in mentees}) >= 3
    assert any(u.special_categories for u in mentees)
    assert all(u.major and u.year and u.hobbies and u.goals for u in mentees)
    assert User.objects.get(email="mentee01@demo.mentor-match.edu").check_password(DEMO_PASSWORD)
    assert "61 user(s) created" in out.getvalue()


def test_seed_demo_if_empty_leaves_an_existing_database_alone():
    MenteeFactory()

    call_command("seed_demo", "--if-empty", stdout=StringIO())

    assert User.objects.count() == 1


def test_purge_deletes_only_accounts_past_their_grace_period(settings):
    settings.ACCOUNT_DELETION_GRACE_DAYS = 30
    now = timezone.now()
    old = MenteeFactory(deletion_requested_at=now - timedelta(days=31))
    recent = MenteeFactory(deletion_requested_at=now - timedelta(days=29))
    active = MenteeFactory()
    RefreshToken.objects.create(jti="old", user=old, expires_at=now + timedelta(days=1))
    seen = []

    def receiver(sender, user, **kwargs):
        seen.append(user.email)

    user_purged.connect(receiver)
    try:
        out = StringIO()
        call_command("purge_deleted_users", stdout=out)
    finally:
        user_purged.disconnect(receiver)

    assert set(User.objects.values_list("email", flat=True)) == {recent.email, active.email}
    assert RefreshToken.objects.count() == 0
    assert seen == [old.email]
    assert out.getvalue().splitlines()[-1] == "1 account(s) purged."


def test_check_emails_lists_accounts_made_before_the_email_rules():
    kept = MenteeFactory(email="idn@xn--exmple-cua.edu")
    legacy = {
        "idn@exämple.edu": "another spelling of the account idn@xn--exmple-cua.edu",
        "admın@example.edu": "breaks the email rules",
        "ok@bücher.edu": "not in its stored form ok@xn--bcher-kva.edu",
    }
    for email in legacy:
        User.objects.filter(pk=MenteeFactory().pk).update(email=email)  # save() would clean it
    out = StringIO()

    call_command("check_emails", stdout=out)

    lines = out.getvalue().splitlines()
    assert len(lines) == 4 and "3 account email(s) to review" in lines[-1]
    for email, problem in legacy.items():
        assert any(line.startswith(f"{email}: {problem}") for line in lines), email
    assert not any(line.startswith(f"{kept.email}:") for line in lines)
    assert User.objects.filter(email="admın@example.edu").exists()  # nothing changed
