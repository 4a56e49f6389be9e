import re
from datetime import timedelta
from http import HTTPStatus
from unittest import mock

import pytest

from notifications.models import OutboxMail
from users import password_reset
from users.models import RefreshToken, User
from users.tests.factories import DEFAULT_PASSWORD, MenteeFactory

pytestmark = pytest.mark.django_db

RESET = "/auth/password-reset/"
CONFIRM = "/auth/password-reset/confirm/"
LOGIN = "/auth/login/"
ME = "/users/me/"
REFRESH = "/auth/refresh/"
NEW_PASSWORD = "a-brand-new-passphrase-7"


def _token_of(mail: OutboxMail) -> str:
    match = re.search(r"/reset-password/(\S+)", mail.body_text)
    assert match, mail.body_text
    assert f'href="http://localhost:3000/reset-password/{match.group(1)}"' in mail.body_html
    return match.group(1)


def _reset_mail(email: str) -> OutboxMail:
    return OutboxMail.objects.get(to=email, kind="password_reset")


def test_reset_flow_over_http_ends_every_session(api, mentee):
    signed_in = [api(mentee), api(mentee)]  # two sessions
    assert signed_in[0].get(ME).status_code == HTTPStatus.OK

    response = api().post(RESET, {"email": mentee.email.upper()})

    assert response.status_code == HTTPStatus.ACCEPTED
    token = _token_of(_reset_mail(mentee.email))
    response = api().post(CONFIRM, {"token": token, "password": NEW_PASSWORD})
    assert response.status_code == HTTPStatus.OK
    assert response.json() == {
        "success": True,
        "message": "Your password has been changed; sign in with it.",
    }
    for client in signed_in:
        assert client.get(ME).status_code == HTTPStatus.UNAUTHORIZED
        refreshed = api().post(REFRESH, {"refresh": client.tokens["refresh"]})
        assert refreshed.status_code == HTTPStatus.UNAUTHORIZED
    assert not RefreshToken.objects.filter(user=mentee, revoked_at=None).exists()
    old = api().post(LOGIN, {"email": mentee.email, "password": DEFAULT_PASSWORD})
    assert old.status_code == HTTPStatus.UNAUTHORIZED
    new = api().post(LOGIN, {"email": mentee.email, "password": NEW_PASSWORD})
    assert new.status_code == HTTPStatus.OK
    assert User.objects.get(pk=mentee.pk).email_verified_at is not None  # the link proved it


def test_a_used_token_is_invalid(api, mentee):
    password_reset.request_password_reset(email=mentee.email)
    token = _token_of(_reset_mail(mentee.email))
    assert api().post(CONFIRM, {"token": token, "password": NEW_PASSWORD}).status_code == 200

    response = api().post(CONFIRM, {"token": token, "password": "another-passphrase-99"})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == "invalid_token"
    assert User.objects.get(pk=mentee.pk).check_password(NEW_PASSWORD)


def test_an_expired_token_is_invalid_and_changes_nothing(api, mentee, settings):
    settings.PASSWORD_RESET_TIMEOUT = 3600
    password_reset.request_password_reset(email=mentee.email)
    token = _token_of(_reset_mail(mentee.email))
    generator = password_reset.token_generator
    later = generator._now() + timedelta(seconds=3601)

    with mock.patch.object(generator, "_now", return_value=later):
        response = api().post(CONFIRM, {"token": token, "password": NEW_PASSWORD})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == "invalid_token"
    assert User.objects.get(pk=mentee.pk).check_password(DEFAULT_PASSWORD)


@pytest.mark.parametrize(
    "token",
    ["", "nonsense", "zzzz-abc-def", "6b0e61f207e81f2d7f01ca01-abc-def", "{}", "-" * 40],
)
def test_a_malformed_token_is_invalid(api, mentee, token):
    response = api().post(CONFIRM, {"token": token, "password": NEW_PASSWORD})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json() == {
        "error": "This link is invalid, already used or expired.",
        "code": "invalid_token",
    }


def test_another_accounts_token_does_not_work(api, mentee):
    other = MenteeFactory()
    password_reset.request_password_reset(email=other.email)
    token = _token_of(_reset_mail(other.email))
    forged = f"{mentee.pk}-{token.partition('-')[2]}"

    response = api().post(CONFIRM, {"token": forged, "password": NEW_PASSWORD})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert User.objects.get(pk=mentee.pk).check_password(DEFAULT_PASSWORD)


def test_a_weak_password_is_refused_and_the_token_still_works(api, mentee):
    password_reset.request_password_reset(email=mentee.email)
    token = _token_of(_reset_mail(mentee.email))
    session = api(mentee)

    response = api().post(CONFIRM, {"token": token, "password": "short"})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == "invalid_password"
    assert session.get(ME).status_code == HTTPStatus.OK
    assert api().post(CONFIRM, {"token": token, "password": NEW_PASSWORD}).status_code == 200


def test_unknown_address_gets_the_same_answer_and_a_no_account_mail(api, mentee):
    known = api().post(RESET, {"email": mentee.email})
    unknown = api().post(RESET, {"email": "nobody@example.edu"})

    assert unknown.status_code == known.status_code == HTTPStatus.ACCEPTED
    assert unknown.json() == known.json()
    assert unknown.headers["Content-Length"] == known.headers["Content-Length"]
    assert list(OutboxMail.objects.order_by("created_at").values_list("to", "kind")) == [
        (mentee.email, "password_reset"),
        ("nobody@example.edu", "no_account"),
    ]


def test_reset_requests_are_rate_limited_per_address_whether_or_not_it_has_an_account(
    api, mentee, settings
):
    settings.PASSWORD_RESETS_PER_ACCOUNT = "2/h"
    for email in (mentee.email, "nobody@example.edu"):
        for _ in range(2):
            assert api().post(RESET, {"email": email}).status_code == HTTPStatus.ACCEPTED

        response = api().post(RESET, {"email": email})

        assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
        assert response.json()["code"] == "rate_limited"
        assert int(response.headers["Retry-After"]) > 0
    assert OutboxMail.objects.count() == 4


def test_reset_requests_are_rate_limited_per_client_address(api, mentee, settings):
    settings.PASSWORD_RESETS_PER_ADDRESS = "3/h"
    for n in range(3):
        assert api().post(RESET, {"email": f"x{n}@example.edu"}).status_code == 202

    response = api().post(RESET, {"email": mentee.email})

    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert not OutboxMail.objects.filter(to=mentee.email).exists()


def test_bad_tokens_lock_the_client_address_out_as_failed_logins_do(api, mentee, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = "3/15m"
    for _ in range(3):
        assert api().post(CONFIRM, {"token": "x", "password": NEW_PASSWORD}).status_code == 400

    response = api().post(CONFIRM, {"token": "x", "password": NEW_PASSWORD})

    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert response.json()["code"] == "rate_limited"


@pytest.mark.parametrize(
    "body, code",
    [
        ({}, "missing_field"),
        ({"email": 5}, "invalid_field"),
        ({"email": "not-an-address"}, "invalid_field"),
        ({"email": "a@example.edu", "extra": 1}, "unknown_field"),
    ],
)
def test_bad_reset_requests_are_400_and_write_nothing(api, body, code):
    response = api().post(RESET, body)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == code
    assert OutboxMail.objects.count() == 0


def test_send_set_password_mail_links_to_the_reset_flow(api):
    imported = MenteeFactory(password="!unusable")

    password_reset.send_set_password_mail(user=imported)

    mail = OutboxMail.objects.get(to=imported.email)
    assert (mail.kind, mail.subject) == ("set_password", "Your Mentor Match account is ready")
    response = api().post(CONFIRM, {"token": _token_of(mail), "password": NEW_PASSWORD})
    assert response.status_code == HTTPStatus.OK
    login = api().post(LOGIN, {"email": imported.email, "password": NEW_PASSWORD})
    assert login.status_code == HTTPStatus.OK


def test_the_request_path_does_the_same_work_for_known_and_unknown_addresses(mentee):
    """No account-existence oracle in the path: one lookup, one token, one outbox insert,
    and no password hash, on both sides."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with mock.patch("users.password_reset.make_password") as hashed:
        with CaptureQueriesContext(connection) as known:
            password_reset.request_password_reset(email=mentee.email)
        with CaptureQueriesContext(connection) as unknown:
            password_reset.request_password_reset(email="nobody@example.edu")

    assert hashed.call_count == 0
    assert len(known.captured_queries) == len(unknown.captured_queries) == 2
