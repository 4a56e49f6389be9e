from http import HTTPStatus

import pytest

from users.models import RefreshToken, User, max_length
from users.tests.factories import DEFAULT_PASSWORD, MenteeFactory

pytestmark = pytest.mark.django_db(transaction=True)

REGISTER = "/auth/register/"
LOGIN = "/auth/login/"
REFRESH = "/auth/refresh/"
LOGOUT = "/auth/logout/"
ME = "/users/me/"


def _register_body(**overrides):
    body = {
        "email": "New.Student@Example.EDU",
        "password": "a-long-enough-passphrase",
        "role": "MENTEE",
        "firstName": "Ada",
        "lastName": "Lovelace",
    }
    body.update(overrides)
    return body


def test_register_creates_user_with_lowercased_email_and_returns_tokens(api):
    response = api().post(REGISTER, _register_body())

    assert response.status_code == HTTPStatus.CREATED
    body = response.json()
    assert set(body) == {"user", "access", "refresh"}
    assert body["user"]["email"] == "new.student@example.edu"
    assert body["user"]["role"] == "MENTEE"
    assert body["user"]["name"] == "Ada Lovelace"
    assert "password" not in body["user"]
    assert not any("pbkdf2" in str(v) or "md5" in str(v) for v in body["user"].values())
    user = User.objects.get(email="new.student@example.edu")
    assert user.check_password("a-long-enough-passphrase")
    me = api().get(ME, HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    assert me.status_code == HTTPStatus.OK
    assert me.json()["user"]["id"] == str(user.pk)


def test_register_as_mentor(api):
    response = api().post(REGISTER, _register_body(role="MENTOR"))

    assert response.status_code == HTTPStatus.CREATED
    assert User.objects.get().role == "MENTOR"


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"role": "ADMIN"}, "validation_failed"),
        ({"role": "mentee"}, "validation_failed"),
        ({"email": "not-an-email"}, "invalid_field"),
        ({"password": "short"}, "invalid_password"),
        ({"password": "12345678901"}, "invalid_password"),
        ({"password": "correct horse " * 10}, "invalid_password"),  # 140 > 128 characters
        ({"password": "pass\ud800phrase-long"}, "invalid_json"),  # an unpaired surrogate
        ({"firstName": "x" * (max_length("firstName") + 1)}, "validation_failed"),
        ({"email": {"$ne": None}}, "invalid_field"),
        ({"email": ["a@b.edu"]}, "invalid_field"),
        ({"password": 12345678}, "invalid_field"),
        ({"role": None}, "invalid_field"),
        ({"firstName": {"$gt": ""}}, "invalid_field"),
        ({"isMatched": True}, "unknown_field"),
    ],
)
def test_register_rejects_bad_input_and_creates_nothing(api, overrides, code):
    response = api().post(REGISTER, _register_body(**overrides))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == code
    assert response.json()["error"]
    assert User.objects.count() == 0


def test_register_accepts_a_128_character_passphrase(api):
    passphrase = ("correct horse battery staple " * 5)[:128]

    response = api().post(REGISTER, _register_body(password=passphrase))

    assert response.status_code == HTTPStatus.CREATED
    assert User.objects.get().check_password(passphrase)


def test_register_requires_email_password_and_role(api):
    for missing in ("email", "password", "role"):
        body = _register_body()
        del body[missing]
        response = api().post(REGISTER, body)
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert response.json() == {
            "error": f"The field '{missing}' is required.",
            "code": "missing_field",
        }
    assert User.objects.count() == 0


def test_register_duplicate_email_is_409_whatever_its_case(api):
    MenteeFactory(email="taken@example.edu")

    response = api().post(REGISTER, _register_body(email="TAKEN@example.edu"))

    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json()["code"] == "email_taken"
    assert User.objects.filter(email="taken@example.edu").count() == 1


def test_concurrent_registrations_of_one_email_create_one_account(api, all_at_once):
    results = all_at_once([lambda: api().post(REGISTER, _register_body()).status_code] * 6)

    assert sorted(results) == [HTTPStatus.CREATED] + [HTTPStatus.CONFLICT] * 5
    assert User.objects.filter(email="new.student@example.edu").count() == 1


def test_login_returns_tokens_for_valid_credentials_any_email_case(api):
    user = MenteeFactory(email="ada@example.edu")

    response = api().post(LOGIN, {"email": " ADA@example.edu ", "password": DEFAULT_PASSWORD})

    assert response.status_code == HTTPStatus.OK
    assert response.json()["user"]["id"] == str(user.pk)
    assert {"access", "refresh"} <= set(response.json())


@pytest.mark.parametrize(
    ("email", "password"),
    [("ada@example.edu", "wrong-password"), ("nobody@example.edu", DEFAULT_PASSWORD)],
)
def test_login_rejects_wrong_credentials_with_one_message(api, email, password):
    MenteeFactory(email="ada@example.edu")

    response = api().post(LOGIN, {"email": email, "password": password})

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json() == {
        "error": "The email or password is incorrect.",
        "code": "invalid_credentials",
    }
    assert RefreshToken.objects.count() == 0


def test_login_with_an_operator_object_is_400_not_a_query(api):
    MenteeFactory(email="ada@example.edu")

    response = api().post(LOGIN, {"email": {"$regex": ".*"}, "password": DEFAULT_PASSWORD})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == "invalid_field"
    assert RefreshToken.objects.count() == 0


def test_refresh_returns_a_working_access_token(api, mentee):
    pair = api().post(LOGIN, {"email": mentee.email, "password": DEFAULT_PASSWORD}).json()

    response = api().post(REFRESH, {"refresh": pair["refresh"]})

    assert response.status_code == HTTPStatus.OK
    assert set(response.json()) == {"access"}
    me = api().get(ME, HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    assert me.status_code == HTTPStatus.OK


def test_refresh_rejects_an_access_token_and_garbage(api, mentee):
    pair = api().post(LOGIN, {"email": mentee.email, "password": DEFAULT_PASSWORD}).json()

    for token in (pair["access"], "not.a.jwt", ""):
        response = api().post(REFRESH, {"refresh": token})
        assert response.status_code == HTTPStatus.UNAUTHORIZED
        assert response.json()["code"] == "invalid_token"


def test_logout_revokes_the_refresh_token_and_its_access_token(api, mentee):
    pair = api().post(LOGIN, {"email": mentee.email, "password": DEFAULT_PASSWORD}).json()
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {pair['access']}"}

    response = api().post(LOGOUT, {"refresh": pair["refresh"]}, **bearer)

    assert response.status_code == HTTPStatus.NO_CONTENT
    assert response.content == b""
    again = api().post(REFRESH, {"refresh": pair["refresh"]})
    assert again.status_code == HTTPStatus.UNAUTHORIZED
    assert again.json()["code"] == "invalid_token"
    assert api().get(ME, **bearer).json()["code"] == "invalid_token"
    assert RefreshToken.objects.get(user=mentee).revoked_at is not None


def test_logout_leaves_other_sessions_alive(api, mentee):
    first = api().post(LOGIN, {"email": mentee.email, "password": DEFAULT_PASSWORD}).json()
    second = api().post(LOGIN, {"email": mentee.email, "password": DEFAULT_PASSWORD}).json()

    response = api().post(
        LOGOUT, {"refresh": first["refresh"]}, HTTP_AUTHORIZATION=f"Bearer {first['access']}"
    )

    assert response.status_code == HTTPStatus.NO_CONTENT
    # That session ends (its access token no longer works) ...
    ended = api().get(ME, HTTP_AUTHORIZATION=f"Bearer {first['access']}")
    assert ended.json()["code"] == "invalid_token"
    # ... the other one goes on: its access token works and its refresh token refreshes.
    alive = api().get(ME, HTTP_AUTHORIZATION=f"Bearer {second['access']}")
    assert alive.json()["user"]["email"] == mentee.email
    refreshed = api().post(REFRESH, {"refresh": second["refresh"]})
    assert refreshed.status_code == HTTPStatus.OK
    renewed = api().get(ME, HTTP_AUTHORIZATION=f"Bearer {refreshed.json()['access']}")
    assert renewed.status_code == HTTPStatus.OK


def test_logout_cannot_revoke_someone_elses_session(api, mentee):
    other = MenteeFactory()
    theirs = api().post(LOGIN, {"email": other.email, "password": DEFAULT_PASSWORD}).json()

    response = api(mentee).post(LOGOUT, {"refresh": theirs["refresh"]})

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["code"] == "invalid_token"
    assert api().post(REFRESH, {"refresh": theirs["refresh"]}).status_code == HTTPStatus.OK
    assert RefreshToken.objects.get(user=other).revoked_at is None


def test_logout_requires_authentication(api, mentee):
    pair = api().post(LOGIN, {"email": mentee.email, "password": DEFAULT_PASSWORD}).json()

    response = api().post(LOGOUT, {"refresh": pair["refresh"]})

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["code"] == "unauthorized"
    # The session was not ended by the anonymous call.
    assert api().post(REFRESH, {"refresh": pair["refresh"]}).status_code == HTTPStatus.OK
    assert RefreshToken.objects.get(user=mentee).revoked_at is None
