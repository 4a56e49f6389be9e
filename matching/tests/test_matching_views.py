"""The matching endpoints over HTTP (checklist: the reference's MatchingAPITests)."""

from http import HTTPStatus

import pytest

from chat.models import Message
from matching.models import Score
from matching.tests.factories import scorable_mentee, scorable_mentor
from users.models import User
from users.tests.factories import MenteeFactory, MentorFactory

pytestmark = pytest.mark.django_db

MATCHES = "/matching/matches/"
REMATCH = "/matching/rematch/"
SELECT = "/matching/select/"
MY_MENTOR = "/matching/my-mentor/"
MY_MENTEES = "/matching/my-mentees/"
UNMATCH = "/matching/unmatch/"
PHRASE = "I would like to unmatch"


def _set_score(mentee, mentor, score):
    Score.objects.filter(mentee_email=mentee.email, mentor_email=mentor.email).update(
        score=score, text=score - 13.0, year=10.0, categories=3.0
    )


def _fresh(user):
    return User.objects.get(pk=user.pk)


# --- matches / rematch ----------------------------------------------------------------------


def test_get_mentor_matches_ranked_with_breakdown(api):
    mentee = scorable_mentee()
    first, second, third = scorable_mentor(), scorable_mentor(), scorable_mentor()
    _set_score(mentee, first, 90.0)
    _set_score(mentee, second, 50.0)
    _set_score(mentee, third, 70.0)

    response = api(mentee).get(MATCHES)

    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert body["total"] == 3
    assert [m["email"] for m in body["matches"]] == [first.email, third.email, second.email]
    top = body["matches"][0]
    assert top == {
        "email": first.email,
        "name": f"{first.firstName} {first.lastName}",
        "major": ["Computer Science"],
        "minor": [],
        "year": 3,
        "hobbies": "startups, web apps",
        "clubs": "",
        "goals": "mentor new programmers",
        "specialCategories": [],
        "available_slots": 2,
        "score": 90.0,
        "breakdown": {"text": 77.0, "year": 10.0, "categories": 3.0},
    }


def test_ties_are_broken_by_earlier_sign_up(api):
    mentee = scorable_mentee()
    early, late = scorable_mentor(), scorable_mentor()
    _set_score(mentee, early, 60.0)
    _set_score(mentee, late, 60.0)

    emails = [m["email"] for m in api(mentee).get(MATCHES).json()["matches"]]

    assert emails == [early.email, late.email]


def test_real_scores_parts_sum_to_score(api):
    mentee = scorable_mentee(firstgen=True)
    scorable_mentor(firstgen=True)

    match = api(mentee).get(MATCHES).json()["matches"][0]

    parts = match["breakdown"]
    assert round(parts["text"] + parts["year"] + parts["categories"], 2) == match["score"]
    assert parts["categories"] == 5.0 and parts["year"] == 10.0


def test_matches_leave_out_blacklisted_full_pending_and_unscorable_mentors(api, settings):
    settings.MAX_MENTEES = 1
    mentee = scorable_mentee()
    ok = scorable_mentor()
    banned, full, leaving, vague = (scorable_mentor() for _ in range(4))
    User.objects.filter(pk=mentee.pk).update(blacklisted_mentors=[banned.email])
    User.objects.filter(pk=full.pk).update(current_mentees=["someone@example.edu"])
    User.objects.filter(pk=leaving.pk).update(deletion_requested_at="2026-01-01T00:00:00Z")
    User.objects.filter(pk=vague.pk).update(major=[])

    body = api(_fresh(mentee)).get(MATCHES).json()

    assert [m["email"] for m in body["matches"]] == [ok.email]
    assert body["total"] == 1


def test_incomplete_profile_sees_no_matches(api):
    scorable_mentor()
    for mentee in (MenteeFactory(), MenteeFactory(major=["Biology"]), MenteeFactory(year="2")):
        response = api(mentee).get(MATCHES)
        assert response.json() == {"matches": [], "total": 0}


def test_rematch_returns_the_same_ranked_data(api):
    mentee = scorable_mentee()
    scorable_mentor(), scorable_mentor(major=["Biology"])

    assert api(mentee).get(REMATCH).json() == api(mentee).get(MATCHES).json()


def test_matches_take_a_constant_number_of_queries(api, django_assert_max_num_queries):
    """Auth (user + session), scores, mentors: the same 4 queries at 5 and at 50 mentors."""
    mentee = scorable_mentee()
    client = api(mentee)
    for _ in range(5):
        scorable_mentor()
    with django_assert_max_num_queries(4):
        assert client.get(MATCHES).json()["total"] == 5
    for _ in range(45):
        MentorFactory(major=["Computer Science"], year="4")
    assert Score.objects.filter(mentee_email=mentee.email).count() == 50
    with django_assert_max_num_queries(4):
        assert client.get(MATCHES).json()["total"] == 50


@pytest.mark.parametrize("path", [MATCHES, REMATCH, MY_MENTOR])
def test_mentors_cannot_use_mentee_endpoints(api, path):
    response = api(scorable_mentor()).get(path)

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["code"] == "wrong_role"


def test_mentees_cannot_see_rosters(api):
    response = api(scorable_mentee()).get(MY_MENTEES)

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["code"] == "wrong_role"


def test_matching_requires_authentication(api):
    response = api().get(MATCHES)

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["code"] == "unauthorized"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", MATCHES, None),
        ("POST", SELECT, {"mentor_email": "x@example.edu"}),
        ("GET", MY_MENTOR, None),
        ("POST", UNMATCH, {"confirmation": PHRASE, "mentor_email": "x@example.edu"}),
        ("PUT", "/matching/profile/", {"hobbies": "x"}),
    ],
)
def test_deleted_user_cannot_match(api, method, path, body):
    mentee = scorable_mentee()
    api(mentee).delete("/users/me/")

    response = api(_fresh(mentee)).request(method, path, body)

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["code"] == "account_pending_deletion"


# --- select ---------------------------------------------------------------------------------


def test_select_mentor_success(api):
    mentee, mentor = scorable_mentee(), scorable_mentor()

    response = api(mentee).post(SELECT, {"mentor_email": mentor.email.upper()})

    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert body["success"] is True and body["message"]
    assert body["mentor"]["email"] == mentor.email
    assert body["mentor"]["available_slots"] == 1
    assert "score" not in body["mentor"]
    assert (_fresh(mentee).isMatched, _fresh(mentee).matchedMentorEmail) == (True, mentor.email)
    assert _fresh(mentor).current_mentees == [mentee.email]
    assert api(_fresh(mentee)).get(MY_MENTOR).json() == {"mentor": body["mentor"]}


def test_mentor_capacity_limit(api):
    mentor = scorable_mentor()
    for _ in range(2):
        assert (
            api(scorable_mentee()).post(SELECT, {"mentor_email": mentor.email}).status_code == 200
        )
    late = scorable_mentee()

    response = api(late).post(SELECT, {"mentor_email": mentor.email})

    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json()["code"] == "mentor_full"
    assert _fresh(late).isMatched is False and _fresh(late).matchedMentorEmail == ""
    assert len(_fresh(mentor).current_mentees) == 2


def test_select_when_already_matched_is_400(api):
    mentee, first, second = scorable_mentee(), scorable_mentor(), scorable_mentor()
    api(mentee).post(SELECT, {"mentor_email": first.email})

    response = api(_fresh(mentee)).post(SELECT, {"mentor_email": second.email})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == "already_matched"
    assert _fresh(second).current_mentees == []
    assert _fresh(mentee).matchedMentorEmail == first.email


@pytest.mark.parametrize(
    ("target", "status", "code"),
    [
        ("nobody@example.edu", HTTPStatus.NOT_FOUND, "user_not_found"),
        ("mentee", HTTPStatus.BAD_REQUEST, "not_a_mentor"),
    ],
)
def test_select_unknown_or_non_mentor(api, target, status, code):
    mentee = scorable_mentee()
    other = scorable_mentee()
    email = other.email if target == "mentee" else target

    response = api(mentee).post(SELECT, {"mentor_email": email})

    assert response.status_code == status
    assert response.json()["code"] == code
    assert _fresh(mentee).isMatched is False


def test_select_blacklisted_mentor_is_403(api):
    mentee, mentor = scorable_mentee(), scorable_mentor()
    User.objects.filter(pk=mentee.pk).update(blacklisted_mentors=[mentor.email])

    response = api(_fresh(mentee)).post(SELECT, {"mentor_email": mentor.email})

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["code"] == "blacklisted"
    assert _fresh(mentor).current_mentees == []


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"mentor_email": {"$ne": None}},
        {"mentor_email": ["a@b.edu"]},
        {"mentor_email": 3},
        {"mentor_email": "a@b.edu", "force": True},
    ],
)
def test_select_rejects_bad_bodies(api, body):
    mentee = scorable_mentee()

    response = api(mentee).post(SELECT, body)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert _fresh(mentee).isMatched is False


# --- my mentor / my mentees -------------------------------------------------------------------


def test_my_mentor_when_not_matched_is_400(api):
    response = api(scorable_mentee()).get(MY_MENTOR)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == "not_matched"


def test_my_mentees_lists_the_roster(api, django_assert_max_num_queries):
    mentor = scorable_mentor()
    mentees = [scorable_mentee(), scorable_mentee(international=True)]
    for mentee in mentees:
        api(mentee).post(SELECT, {"mentor_email": mentor.email})

    client = api(_fresh(mentor))
    # Auth (user + session), the stale-intent check of the roster, the roster's mentees.
    with django_assert_max_num_queries(4):
        response = client.get(MY_MENTEES)

    assert response.status_code == HTTPStatus.OK
    assert response.json()["total"] == 2
    assert [m["email"] for m in response.json()["mentees"]] == [m.email for m in mentees]
    assert response.json()["mentees"][1]["specialCategories"] == ["international"]
    assert "available_slots" not in response.json()["mentees"][0]


# --- unmatch --------------------------------------------------------------------------------


def _matched_pair(api):
    mentee, mentor = scorable_mentee(), scorable_mentor()
    api(mentee).post(SELECT, {"mentor_email": mentor.email})
    Message.objects.create(sender=mentee.email, recipient=mentor.email, body="hi")
    Message.objects.create(sender=mentor.email, recipient=mentee.email, body="hello")
    Message.objects.create(sender=mentor.email, recipient="other@example.edu", body="keep")
    return _fresh(mentee), _fresh(mentor)


@pytest.mark.parametrize("side", ["mentee", "mentor"])
def test_unmatch_lifecycle(api, side):
    mentee, mentor = _matched_pair(api)
    if side == "mentee":
        response = api(mentee).post(
            UNMATCH, {"confirmation": f"  {PHRASE} ", "mentor_email": mentor.email}
        )
    else:
        response = api(mentor).post(UNMATCH, {"confirmation": PHRASE, "mentee_email": mentee.email})

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"success": True, "message": "Successfully unmatched."}
    mentee, mentor = _fresh(mentee), _fresh(mentor)
    assert (mentee.isMatched, mentee.matchedMentorEmail) == (False, "")
    assert mentee.blacklisted_mentors == [mentor.email]
    assert mentor.current_mentees == []
    assert list(Message.objects.values_list("body", flat=True)) == ["keep"]
    assert mentor.email not in [m["email"] for m in api(mentee).get(MATCHES).json()["matches"]]
    again = api(mentee).post(SELECT, {"mentor_email": mentor.email})
    assert again.json()["code"] == "blacklisted"


@pytest.mark.parametrize("phrase", ["i would like to unmatch", "unmatch", "", "I would like to"])
def test_unmatch_needs_the_exact_phrase(api, phrase):
    mentee, mentor = _matched_pair(api)

    response = api(mentee).post(UNMATCH, {"confirmation": phrase, "mentor_email": mentor.email})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == "bad_confirmation"
    assert _fresh(mentee).isMatched is True
    assert Message.objects.count() == 3


def test_unmatch_someone_else_is_403(api):
    mentee, mentor = _matched_pair(api)
    stranger = scorable_mentor()
    other_mentee = scorable_mentee()

    by_mentee = api(mentee).post(UNMATCH, {"confirmation": PHRASE, "mentor_email": stranger.email})
    by_mentor = api(stranger).post(
        UNMATCH, {"confirmation": PHRASE, "mentee_email": other_mentee.email}
    )

    assert by_mentee.status_code == by_mentor.status_code == HTTPStatus.FORBIDDEN
    assert by_mentee.json()["code"] == by_mentor.json()["code"] == "not_your_match"
    assert _fresh(mentor).current_mentees == [mentee.email]


def test_unmatch_field_depends_on_role(api):
    mentee, mentor = _matched_pair(api)

    response = api(mentor).post(UNMATCH, {"confirmation": PHRASE, "mentor_email": mentor.email})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == "unknown_field"


def test_admin_cannot_unmatch(api, admin_user):
    response = api(admin_user).post(UNMATCH, {"confirmation": PHRASE, "mentee_email": "a@b.edu"})

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["code"] == "wrong_role"


@pytest.mark.parametrize("purged", ["mentee", "mentor"])
def test_purging_a_matched_user_frees_the_other_side(api, purged):
    from datetime import timedelta

    from django.utils import timezone

    from users.services import purge_deleted_users

    mentee, mentor = _matched_pair(api)
    gone = mentee if purged == "mentee" else mentor
    User.objects.filter(pk=gone.pk).update(
        deletion_requested_at=timezone.now() - timedelta(days=400)
    )

    purge_deleted_users()

    if purged == "mentee":
        assert _fresh(mentor).current_mentees == []
    else:
        assert (_fresh(mentee).isMatched, _fresh(mentee).matchedMentorEmail) == (False, "")
    assert list(Message.objects.values_list("body", flat=True)) == (
        ["keep"] if purged == "mentee" else []
    )


def test_preferences_leave_non_seeking_users_out_of_matches(api):
    mentee = scorable_mentee()
    seeking, resting = scorable_mentor(), scorable_mentor()
    User.objects.filter(pk=resting.pk).update(is_seeking_mentee=False)

    assert [m["email"] for m in api(mentee).get(MATCHES).json()["matches"]] == [seeking.email]
    User.objects.filter(pk=mentee.pk).update(is_seeking_mentor=False)
    assert api(_fresh(mentee)).get(MATCHES).json() == {"matches": [], "total": 0}
