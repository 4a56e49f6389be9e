import base64
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.utils import timezone

from chat.models import Message
from chat.services import BODY_MAX
from matching import services as matching
from users.models import User
from users.tests.factories import MenteeFactory, MentorFactory

pytestmark = pytest.mark.django_db

CONVERSATIONS = "/chat/conversations/"
MESSAGES = "/chat/messages/"
READ = "/chat/read/"


def _fresh(user):
    return User.objects.get(pk=user.pk)


@pytest.fixture
def pair():
    mentee, mentor = MenteeFactory(firstName="Ada", lastName="Byron"), MentorFactory()
    matching.select_mentor(mentee=mentee, mentor_email=mentor.email)
    return _fresh(mentee), _fresh(mentor)


def _seed(sender, recipient, count, start=None):
    start = start or timezone.now() - timedelta(hours=1)
    return [
        Message.objects.create(
            sender=sender.email,
            recipient=recipient.email,
            body=f"m{i}",
            created_at=start + timedelta(seconds=i),
        )
        for i in range(count)
    ]


def test_send_a_message_trims_and_returns_it(api, pair):
    mentee, mentor = pair

    response = api(mentee).post(MESSAGES, {"to": mentor.email.upper(), "body": "  hello  "})

    assert response.status_code == HTTPStatus.CREATED
    message = response.json()["message"]
    assert set(message) == {"id", "sender", "recipient", "body", "created_at", "read"}
    assert (message["sender"], message["recipient"], message["body"], message["read"]) == (
        mentee.email,
        mentor.email,
        "hello",
        False,
    )
    assert message["created_at"].endswith("Z")
    assert Message.objects.get().body == "hello"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("   ", "validation_failed"),
        ("x" * (BODY_MAX + 1), "validation_failed"),
        ({"a": 1}, "invalid_field"),
    ],
)
def test_bad_bodies_are_400_and_store_nothing(api, pair, body, code):
    mentee, mentor = pair

    response = api(mentee).post(MESSAGES, {"to": mentor.email, "body": body})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == code
    assert Message.objects.count() == 0


def test_a_body_of_exactly_the_limit_is_stored(api, pair):
    mentee, mentor = pair

    response = api(mentee).post(MESSAGES, {"to": mentor.email, "body": "x" * BODY_MAX})

    assert response.status_code == HTTPStatus.CREATED
    assert Message.objects.get().body == "x" * BODY_MAX


def test_only_the_current_match_is_a_counterpart(api, pair):
    mentee, mentor = pair
    stranger = MentorFactory()
    other_mentee = MenteeFactory()

    calls = [
        api(mentee).post(MESSAGES, {"to": stranger.email, "body": "hi"}),
        api(mentor).post(MESSAGES, {"to": other_mentee.email, "body": "hi"}),
        api(stranger).get(MESSAGES, QUERY_STRING=f"with={mentee.email}"),
        api(other_mentee).post(READ, {"with": mentor.email}),
    ]

    for response in calls:
        assert response.status_code == HTTPStatus.FORBIDDEN
        assert response.json()["code"] == "not_matched"
    assert Message.objects.count() == 0


def test_after_unmatch_the_pair_cannot_chat_and_history_is_gone(api, pair):
    mentee, mentor = pair
    _seed(mentee, mentor, 3)

    matching.mentee_unmatch(
        mentee=mentee, mentor_email=mentor.email, confirmation="I would like to unmatch"
    )

    assert Message.objects.count() == 0
    response = api(_fresh(mentee)).post(MESSAGES, {"to": mentor.email, "body": "still there?"})
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["code"] == "not_matched"
    assert api(_fresh(mentor)).get(CONVERSATIONS).json() == {"conversations": []}


def test_messages_page_newest_first_with_cursor(api, pair):
    mentee, mentor = pair
    sent = _seed(mentee, mentor, 5)
    client = api(mentor)

    first = client.get(MESSAGES, QUERY_STRING=f"with={mentee.email}&limit=2").json()
    second = client.get(
        MESSAGES, QUERY_STRING=f"with={mentee.email}&limit=2&before={first['next_cursor']}"
    ).json()
    third = client.get(
        MESSAGES, QUERY_STRING=f"with={mentee.email}&limit=2&before={second['next_cursor']}"
    ).json()

    bodies = [m["body"] for page in (first, second, third) for m in page["messages"]]
    assert bodies == [m.body for m in reversed(sent)]
    assert third["next_cursor"] is None


def test_empty_conversation(api, pair):
    mentee, mentor = pair

    body = api(mentee).get(MESSAGES, QUERY_STRING=f"with={mentor.email}").json()

    assert body == {"messages": [], "next_cursor": None}


def test_exact_page_size_has_no_next_cursor(api, pair):
    mentee, mentor = pair
    _seed(mentor, mentee, 3)

    body = api(mentee).get(MESSAGES, QUERY_STRING=f"with={mentor.email}&limit=3").json()

    assert len(body["messages"]) == 3
    assert body["next_cursor"] is None


def test_default_limit_is_50(api, pair):
    mentee, mentor = pair
    Message.objects.bulk_create(
        [Message(sender=mentee.email, recipient=mentor.email, body=str(i)) for i in range(51)]
    )

    body = api(mentee).get(MESSAGES, QUERY_STRING=f"with={mentor.email}").json()

    assert len(body["messages"]) == 50 and body["next_cursor"]


def test_new_messages_while_paging_cause_no_duplicates_or_gaps(api, pair):
    mentee, mentor = pair
    old = _seed(mentee, mentor, 6)
    client = api(mentee)
    first = client.get(MESSAGES, QUERY_STRING=f"with={mentor.email}&limit=3").json()

    for i in range(4):  # arrive between the two page requests
        client.post(MESSAGES, {"to": mentor.email, "body": f"new{i}"})
    second = client.get(
        MESSAGES, QUERY_STRING=f"with={mentor.email}&limit=3&before={first['next_cursor']}"
    ).json()

    seen = [m["id"] for m in first["messages"] + second["messages"]]
    assert len(seen) == len(set(seen)) == 6
    assert set(seen) == {str(m.pk) for m in old}


def test_messages_created_in_the_same_millisecond_page_without_loss(api, pair):
    mentee, mentor = pair
    at = timezone.now().replace(microsecond=0)
    Message.objects.bulk_create(
        [
            Message(sender=mentee.email, recipient=mentor.email, body=str(i), created_at=at)
            for i in range(5)
        ]
    )
    client = api(mentee)
    seen, cursor = [], None
    while True:
        qs = f"with={mentor.email}&limit=2" + (f"&before={cursor}" if cursor else "")
        page = client.get(MESSAGES, QUERY_STRING=qs).json()
        seen += [m["body"] for m in page["messages"]]
        cursor = page["next_cursor"]
        if not cursor:
            break

    assert sorted(seen) == ["0", "1", "2", "3", "4"] and len(seen) == 5


def _cursor(millis: int) -> str:
    """A well-formed cursor (millis:ObjectId, URL-safe base64) at any time, however far."""
    raw = f"{millis}:{'0' * 24}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("limit=0", "validation_failed"),
        ("limit=101", "validation_failed"),
        ("limit=abc", "invalid_field"),
        ("limit=-1", "invalid_field"),
        ("before=not-a-cursor", "invalid_cursor"),
        ("before=MTIzOmFiYw", "invalid_cursor"),
        # Each was a 500 (found while adding core/tests/test_fuzz.py).
        ("limit=%C2%B2", "invalid_field"),  # "²": isdigit() but not int()
        ("limit=%D9%A3", "invalid_field"),  # Arabic-Indic three was read as 3
        ("limit=" + "9" * 4400, "validation_failed"),  # past int()'s 4,300 digits
        ("before=" + _cursor(10**20), "invalid_cursor"),  # OSError in fromtimestamp()
        ("before=" + _cursor(-(10**20)), "invalid_cursor"),
    ],
)
def test_bad_paging_parameters_are_400(api, pair, query, code):
    mentee, mentor = pair

    response = api(mentee).get(MESSAGES, QUERY_STRING=f"with={mentor.email}&{query}")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == code


def test_messages_need_a_with_parameter(api, pair):
    response = api(pair[0]).get(MESSAGES)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == "missing_field"


def test_read_marks_only_incoming_unread_messages(api, pair):
    mentee, mentor = pair
    _seed(mentor, mentee, 3)
    _seed(mentee, mentor, 2)

    response = api(mentee).post(READ, {"with": mentor.email})

    assert response.json() == {"updated": 3}
    assert api(mentee).post(READ, {"with": mentor.email}).json() == {"updated": 0}
    assert Message.objects.filter(sender=mentee.email, read_at=None).count() == 2


def test_conversations_show_last_message_and_unread_counts(
    api, pair, django_assert_max_num_queries
):
    mentee, mentor = pair
    second = MenteeFactory()
    matching.select_mentor(mentee=second, mentor_email=mentor.email)
    _seed(mentee, mentor, 3)
    _seed(mentor, mentee, 1, start=timezone.now())
    client = api(_fresh(mentor))

    with django_assert_max_num_queries(6):
        body = client.get(CONVERSATIONS).json()

    rows = {row["with"]: row for row in body["conversations"]}
    assert set(rows) == {mentee.email, second.email}
    assert rows[mentee.email]["name"] == "Ada Byron"
    assert rows[mentee.email]["unread"] == 3
    assert rows[mentee.email]["last_message"]["body"] == "m0"
    assert rows[mentee.email]["last_message"]["sender"] == mentor.email
    assert rows[second.email] == {
        "with": second.email,
        "name": f"{second.firstName} {second.lastName}",
        "last_message": None,
        "unread": 0,
    }
    mentee_view = api(mentee).get(CONVERSATIONS).json()["conversations"]
    assert [(c["with"], c["unread"]) for c in mentee_view] == [(mentor.email, 1)]


def test_unmatched_user_has_no_conversations(api):
    assert api(MenteeFactory()).get(CONVERSATIONS).json() == {"conversations": []}


def test_chat_is_closed_to_accounts_pending_deletion(api, pair):
    mentee, mentor = pair
    api(mentee).delete("/users/me/")

    response = api(_fresh(mentee)).post(MESSAGES, {"to": mentor.email, "body": "hi"})

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["code"] == "account_pending_deletion"
    assert Message.objects.count() == 0
