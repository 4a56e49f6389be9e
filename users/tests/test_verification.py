import re
from http import HTTPStatus

import pytest

from notifications.models import OutboxMail
from users.models import User
from users.tests.factories import DEFAULT_PASSWORD, MenteeFactory

pytestmark = pytest.mark.django_db

REGISTER = "/auth/register/"
LOGIN = "/auth/login/"
CONFIRM = "/auth/verify-email/confirm/"
RESEND = "/auth/verify-email/resend/"
EMAIL = "ada@example.edu"
PASSWORD = "a-long-enough-passphrase"


def _register(api):
    body = {"email": EMAIL, "password": PASSWORD, "role": "MENTEE", "firstName": "Ada"}
    return api().post(REGISTER, body)


def _token(email=EMAIL) -> str:
    mail = OutboxMail.objects.filter(to=email, kind="verify_email").order_by("-created_at")[0]
    return re.search(r"/verify-email/(\S+)", mail.body_text).group(1)


def _login(api, email=EMAIL, password=PASSWORD):
    return api().post(LOGIN, {"email": email, "password": password})


def test_registration_mails_a_link_and_signs_in_when_verification_is_off(api):
    response = _register(api)

    assert response.status_code == HTTPStatus.CREATED
    assert set(response.json()) == {"user", "access", "refresh"}
    assert response.json()["user"]["email_verified"] is False
    assert OutboxMail.objects.get(to=EMAIL).kind == "verify_email"
    assert _login(api).status_code == HTTPStatus.OK


def test_required_verification_starts_no_session_and_refuses_login_until_confirmed(api, settings):
    settings.EMAIL_VERIFICATION_REQUIRED = True

    response = _register(api)

    assert response.status_code == HTTPStatus.CREATED
    assert set(response.json()) == {"user"}
    refused = _login(api)
    assert refused.status_code == HTTPStatus.FORBIDDEN
    assert refused.json()["code"] == "email_not_verified"
    # A wrong password is still just wrong: the 403 only tells the account's owner.
    assert _login(api, password="wrong-password-123").status_code == HTTPStatus.UNAUTHORIZED

    confirmed = api().post(CONFIRM, {"token": _token()})

    assert confirmed.status_code == HTTPStatus.OK
    assert confirmed.json() == {"success": True, "message": "Your email address is confirmed."}
    assert User.objects.get(email=EMAIL).email_verified_at is not None
    assert _login(api).status_code == HTTPStatus.OK


def test_a_verification_token_works_once(api):
    _register(api)
    token = _token()
    assert api().post(CONFIRM, {"token": token}).status_code == HTTPStatus.OK

    again = api().post(CONFIRM, {"token": token})

    assert again.status_code == HTTPStatus.BAD_REQUEST
    assert again.json()["code"] == "invalid_token"


def test_a_password_reset_token_is_not_a_verification_token(api, mentee):
    from users import password_reset

    token = password_reset.make_token(mentee)

    response = api().post(CONFIRM, {"token": token})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert User.objects.get(pk=mentee.pk).email_verified_at is None


def test_resend_answers_the_same_for_unverified_verified_and_unknown_addresses(api, settings):
    settings.EMAIL_VERIFICATION_REQUIRED = True
    _register(api)
    verified = MenteeFactory()
    User.objects.filter(pk=verified.pk).update(email_verified_at=verified.date_joined)
    OutboxMail.objects.all().delete()

    answers = [
        api().post(RESEND, {"email": email})
        for email in (EMAIL, verified.email, "nobody@example.edu")
    ]

    assert {a.status_code for a in answers} == {HTTPStatus.ACCEPTED}
    assert answers[0].json() == answers[1].json() == answers[2].json()
    assert list(OutboxMail.objects.order_by("created_at").values_list("to", "kind")) == [
        (EMAIL, "verify_email"),
        (verified.email, "email_already_verified"),
        ("nobody@example.edu", "no_account"),
    ]
    assert api().post(CONFIRM, {"token": _token()}).status_code == HTTPStatus.OK


def test_resend_is_rate_limited(api, mentee, settings):
    settings.PASSWORD_RESETS_PER_ACCOUNT = "1/h"
    assert api().post(RESEND, {"email": mentee.email}).status_code == HTTPStatus.ACCEPTED

    response = api().post(RESEND, {"email": mentee.email})

    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert response.json()["code"] == "rate_limited"


def test_existing_accounts_keep_signing_in_when_verification_is_turned_on(api, settings):
    """Accounts made before the setting (here: verified by the migration or by hand) are
    not locked out; one never verified is."""
    settings.EMAIL_VERIFICATION_REQUIRED = True
    old = MenteeFactory()
    User.objects.filter(pk=old.pk).update(email_verified_at=old.date_joined)
    unverified = MenteeFactory()

    assert _login(api, old.email, DEFAULT_PASSWORD).status_code == HTTPStatus.OK
    assert _login(api, unverified.email, DEFAULT_PASSWORD).status_code == HTTPStatus.FORBIDDEN
