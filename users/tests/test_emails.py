"""Emails are validated and normalised at every entry point (docs/api.md "Emails")."""

from http import HTTPStatus

import pytest

from matching.models import Invitation
from users.models import EmailRuleError, User, clean_email, normalize_email
from users.tests.factories import DEFAULT_PASSWORD, MenteeFactory

pytestmark = pytest.mark.django_db

REGISTER = "/auth/register/"
LOGIN = "/auth/login/"

LOCAL_64 = "a" * 64
# 64 + "@" + 189 = 254 characters; no label over 63.
DOMAIN_189 = f"{'b' * 63}.{'c' * 63}.{'d' * 57}.edu"


def _register(api, email, role="MENTEE"):
    return api().post(REGISTER, {"email": email, "password": DEFAULT_PASSWORD, "role": role})


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("  Sam@Example.EDU ", "sam@example.edu"),
        ("idn@exämple.edu", "idn@xn--exmple-cua.edu"),
        ("IDN@EXÄMPLE.EDU", "idn@xn--exmple-cua.edu"),
        ("idn@xn--exmple-cua.edu", "idn@xn--exmple-cua.edu"),
        ("idn@exämple.test", "idn@xn--exmple-cua.test"),  # .test: staging cohorts
        ("sam@ｅxample.edu", "sam@example.edu"),  # full-width letters: IDNA maps them
    ],
)
def test_clean_email_gives_one_form(raw, stored):
    assert clean_email(raw) == stored
    assert normalize_email(raw) == stored


@pytest.mark.parametrize(
    "raw",
    [
        "admın@example.edu",  # dotless i
        "ſam@example.edu",  # long s
        "\u212aate@example.edu",  # Kelvin sign: str.lower() would make it "kate"
        "not-an-email",
        "a@localhost",
        "a@campus.local",
        f"{'a' * 65}@example.edu",
        f"{LOCAL_64}@{DOMAIN_189}x",
    ],
)
def test_clean_email_refuses_and_lookups_match_nothing(raw):
    with pytest.raises(EmailRuleError):
        clean_email(raw)
    # Lookups never raise; the refused form is left as it was, so it matches no account.
    assert normalize_email(raw) == raw


@pytest.mark.parametrize("tld", ["edu", "test"])
def test_two_spellings_of_one_idn_mailbox_are_one_account(api, tld):
    first = _register(api, f"idn@exämple.{tld}")
    second = _register(api, f"idn@xn--exmple-cua.{tld}")

    assert first.status_code == HTTPStatus.CREATED
    assert first.json()["user"]["email"] == f"idn@xn--exmple-cua.{tld}"
    assert second.status_code == HTTPStatus.CONFLICT
    assert second.json()["code"] == "email_taken"
    assert User.objects.count() == 1
    signed_in = api().post(
        LOGIN, {"email": f"IDN@EXÄMPLE.{tld.upper()}", "password": DEFAULT_PASSWORD}
    )
    assert signed_in.status_code == HTTPStatus.OK


@pytest.mark.parametrize("email", ["admın@example.edu", "ſam@example.edu"])
def test_look_alike_local_parts_are_refused_beside_the_real_account(api, email):
    MenteeFactory(email="admin@example.edu")
    MenteeFactory(email="sam@example.edu")

    response = _register(api, email)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == "invalid_field"
    assert User.objects.count() == 2


@pytest.mark.parametrize(
    ("email", "status"),
    [
        (f"{LOCAL_64}@example.edu", HTTPStatus.CREATED),
        (f"{LOCAL_64}a@example.edu", HTTPStatus.BAD_REQUEST),
        (f"{LOCAL_64}@{DOMAIN_189}", HTTPStatus.CREATED),
        (f"a{LOCAL_64[1:]}@{DOMAIN_189[:-4]}x.edu", HTTPStatus.BAD_REQUEST),  # 255
        (f"{'a' * 64}@{'b' * 63}.{'c' * 63}.{'d' * 63}.{'e' * 59}.edu", HTTPStatus.BAD_REQUEST),
    ],
)
def test_length_limits(api, email, status):
    response = _register(api, email)

    assert response.status_code == status, response.json()
    if status == HTTPStatus.BAD_REQUEST:
        assert response.json()["code"] == "invalid_field"
        assert User.objects.count() == 0
    else:
        assert User.objects.get().email == email


def test_the_boundary_addresses_have_the_lengths_they_claim():
    assert len(f"{LOCAL_64}@{DOMAIN_189}") == 254
    assert len(f"a{LOCAL_64[1:]}@{DOMAIN_189[:-4]}x.edu") == 255
    assert len(f"{'a' * 64}@{'b' * 63}.{'c' * 63}.{'d' * 63}.{'e' * 59}.edu") == 320


def test_lookups_by_email_use_the_same_form(api):
    mentor = _register(api, "mentor@exämple.edu", role="MENTOR").json()["user"]
    mentee = MenteeFactory()

    response = api(mentee).post(
        "/matching/invitations/",
        {"mentor_email": "Mentor@XN--EXMPLE-CUA.edu", "mentee_email": f" {mentee.email} "},
    )

    assert response.status_code == HTTPStatus.CREATED
    assert Invitation.objects.get().mentor_email == mentor["email"]


def test_addresses_stored_before_the_rules_still_sign_in(api):
    # Lower-case ASCII, but on a special-use domain the rules now refuse for new accounts.
    user = MenteeFactory()
    User.objects.filter(pk=user.pk).update(email="old.user@campus.local")

    response = api().post(LOGIN, {"email": " Old.User@campus.local", "password": DEFAULT_PASSWORD})

    assert response.status_code == HTTPStatus.OK
    assert response.json()["user"]["email"] == "old.user@campus.local"
