"""python -m bench.mongomock_probe: which django-mongodb-backend ORM operations of the kind the
product uses run correctly when mongomock stands in for MongoDB.

mongomock.MongoClient is patched in as the backend's client (and the backend's pymongo
Collection wrapper gives way to mongomock's collections); nothing else changes. Each
operation starts from empty collections, arranges its rows, acts once through the ORM and
checks the result against what MongoDB answers; where the operation is a write, the check
reads the collection with plain pymongo calls, so only the operation itself is on trial.
The same operations pass on the embedded server (core/tests/test_mongomock_probe.py runs
them there), so a failure below is mongomock's. Two rows beyond the ORM follow: the
transaction check and the one raw aggregation the product runs. Prints Markdown tables and
the count; docs/architecture.md quotes them.
"""

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import django

OPERATIONS: list[tuple[str, Callable[[], object]]] = []
BEYOND_THE_ORM: list[tuple[str, Callable[[], object]]] = []


def operation(name: str, *, orm: bool = True):
    def register(fn):
        (OPERATIONS if orm else BEYOND_THE_ORM).append((name, fn))
        return fn

    return register


@dataclass
class Outcome:
    name: str
    ok: bool
    detail: str


def _models():
    from chat.models import Message
    from matching.models import Invitation, MatchIntent, Score
    from users.models import RefreshToken, User

    return User, RefreshToken, Score, Invitation, MatchIntent, Message


def _user(email: str, **fields):
    from users.models import User

    return User.objects.create(email=email, **fields)


def _raw(model):
    from django.db import connection

    return connection.get_collection(model._meta.db_table)


def _expect(actual, expected) -> None:
    if actual != expected:
        raise AssertionError(f"got {actual!r}, expected {expected!r}")


# --- the operations ------------------------------------------------------------------------
# Registered in this order; each is one ORM call (or a pair) the services, selectors, admin
# or commands make, on the product's models.


@operation("create (Model.objects.create)")
def _create():
    from users.models import User

    user = _user("a@x.edu", role="MENTOR")
    stored = _raw(User).find_one({"_id": user.pk})
    _expect((stored["email"], stored["role"]), ("a@x.edu", "MENTOR"))


@operation("get by a unique field")
def _get():
    from users.models import User

    _user("a@x.edu")
    _expect(User.objects.get(email="a@x.edu").email, "a@x.edu")


@operation("get by ObjectId pk")
def _get_pk():
    from users.models import User

    user = _user("a@x.edu")
    _expect(User.objects.get(pk=str(user.pk)).email, "a@x.edu")


@operation("filter + count")
def _filter_count():
    from users.models import User

    _user("a@x.edu", role="MENTOR")
    _user("b@x.edu", role="MENTEE")
    _user("c@x.edu", role="MENTEE")
    _expect(User.objects.filter(role="MENTEE").count(), 2)


@operation("filter on Q(...) OR Q(...)")
def _filter_or():
    from django.db.models import Q

    from chat.models import Message

    for sender, recipient in [("a", "b"), ("b", "a"), ("a", "c")]:
        Message.objects.create(sender=f"{sender}@x.edu", recipient=f"{recipient}@x.edu", body="m")
    pair = Q(sender="a@x.edu", recipient="b@x.edu") | Q(sender="b@x.edu", recipient="a@x.edu")
    _expect(sorted(m.sender for m in Message.objects.filter(pair)), ["a@x.edu", "b@x.edu"])


@operation("filter __in / exclude __in")
def _filter_in():
    from matching.models import Score

    for mentee in ("a", "b", "c"):
        Score.objects.create(mentee_email=f"{mentee}@x.edu", mentor_email="m@x.edu", score=1)
    chosen = ["a@x.edu", "b@x.edu"]
    _expect(sorted(s.mentee_email for s in Score.objects.filter(mentee_email__in=chosen)), chosen)
    _expect([s.mentee_email for s in Score.objects.exclude(mentee_email__in=chosen)], ["c@x.edu"])


@operation("filter __isnull / = None")
def _filter_null():
    from django.utils import timezone

    from users.models import User

    _user("a@x.edu", deletion_requested_at=timezone.now())
    _user("b@x.edu")
    _expect(
        [u.email for u in User.objects.filter(deletion_requested_at__isnull=False)], ["a@x.edu"]
    )
    _expect(
        list(User.objects.filter(deletion_requested_at=None).values_list("email")), [("b@x.edu",)]
    )


@operation("filter on a datetime range (__lte)")
def _filter_datetime():
    from django.utils import timezone

    from matching.models import Invitation

    now = timezone.now()
    for days in (-2, -1, 3):
        Invitation.objects.create(
            mentor_email="m@x.edu",
            mentee_email=f"e{days}@x.edu",
            expires_at=now + timedelta(days=days),
        )
    expired = Invitation.objects.filter(expires_at__lte=now)
    _expect(sorted(i.mentee_email for i in expired), ["e-1@x.edu", "e-2@x.edu"])


@operation("order_by + slice")
def _order_slice():
    from matching.models import Score

    for n, score in enumerate([10.0, 30.0, 20.0]):
        Score.objects.create(mentee_email="e@x.edu", mentor_email=f"m{n}@x.edu", score=score)
    top = Score.objects.filter(mentee_email="e@x.edu").order_by("-score")[:2]
    _expect([s.score for s in top], [30.0, 20.0])


@operation("values_list(flat=True) ordered by pk")
def _values_list():
    from users.models import User

    for email in ("b@x.edu", "a@x.edu"):
        _user(email)
    _expect(
        list(User.objects.order_by("pk").values_list("email", flat=True)), ["b@x.edu", "a@x.edu"]
    )


@operation("first() / exists()")
def _first_exists():
    from users.models import User

    _user("a@x.edu")
    _expect(User.objects.filter(email="a@x.edu").first().email, "a@x.edu")
    _expect(User.objects.filter(email="z@x.edu").exists(), False)


@operation("conditional update, matched count")
def _conditional_update():
    from django.utils import timezone

    from matching.models import Invitation

    invitation = Invitation.objects.create(
        mentor_email="m@x.edu", mentee_email="e@x.edu", expires_at=timezone.now()
    )
    pending = Invitation.objects.filter(pk=invitation.pk, status="pending")
    _expect(pending.update(status="declined"), 1)
    _expect(pending.update(status="accepted"), 0)
    _expect(Invitation.objects.get().status, "declined")


@operation("update with F() expression")
def _update_f():
    from django.db.models import F

    from matching.models import Score

    Score.objects.create(mentee_email="e@x.edu", mentor_email="m@x.edu", score=41.0)
    Score.objects.filter(mentee_email="e@x.edu").update(score=F("score") + 1)
    _expect(Score.objects.get().score, 42.0)


@operation("save(update_fields=...) and refresh_from_db(fields=...)")
def _save_refresh():
    from users.models import User

    user = _user("a@x.edu")
    user.firstName = "Ada"
    user.save(update_fields=["firstName"])
    other = User.objects.get(pk=user.pk)
    User.objects.filter(pk=user.pk).update(lastName="Byron")
    other.refresh_from_db(fields=["lastName"])
    _expect((other.firstName, other.lastName), ("Ada", "Byron"))


@operation("queryset delete, deleted count")
def _delete():
    from matching.models import Score

    for n in range(3):
        Score.objects.create(mentee_email="e@x.edu", mentor_email=f"m{n}@x.edu", score=n)
    _expect(Score.objects.filter(score__gte=1).delete()[0], 2)
    _expect(_raw(Score).count_documents({}), 1)


@operation("bulk_create")
def _bulk_create():
    from users.models import User

    User.objects.bulk_create([User(email=f"u{n}@x.edu") for n in range(3)])
    _expect(_raw(User).count_documents({}), 3)


@operation("aggregate(Count, Max)")
def _aggregate():
    from django.db.models import Count, Max

    from matching.models import Score

    for n, score in enumerate([10.0, 30.0, 20.0]):
        Score.objects.create(mentee_email="e@x.edu", mentor_email=f"m{n}@x.edu", score=score)
    _expect(Score.objects.aggregate(n=Count("id"), best=Max("score")), {"n": 3, "best": 30.0})


@operation("values().annotate(Count) (group by)")
def _annotate():
    from django.db.models import Count

    from chat.models import Message

    for sender in ("a", "a", "b"):
        Message.objects.create(sender=f"{sender}@x.edu", recipient="z@x.edu", body="m")
    rows = Message.objects.values("sender").annotate(n=Count("id")).order_by("sender")
    _expect(list(rows), [{"sender": "a@x.edu", "n": 2}, {"sender": "b@x.edu", "n": 1}])


@operation("ArrayField __contains")
def _array_contains():
    from users.models import User

    _user("m@x.edu", current_mentees=["a@x.edu", "b@x.edu"])
    _user("n@x.edu", current_mentees=["c@x.edu"])
    _expect(
        list(
            User.objects.filter(current_mentees__contains=["b@x.edu"]).values_list(
                "email", flat=True
            )
        ),
        ["m@x.edu"],
    )


@operation("ArrayField round trip (list in, list out)")
def _array_round_trip():
    from users.models import User

    _user("a@x.edu", major=["Biology", "Art"])
    _expect(User.objects.get().major, ["Biology", "Art"])


@operation("EmbeddedModelField: save and filter on a subfield")
def _embedded():
    from bench.mongomock_probe_models import Address, Person

    Person.objects.create(name="Ada", address=Address(city="London"))
    Person.objects.create(name="Alan", address=Address(city="Wilmslow"))
    _expect(Person.objects.get(address__city="London").name, "Ada")


@operation("ForeignKey: filter across the relation (user__email)")
def _fk_filter():
    from django.utils import timezone

    from users.models import RefreshToken

    user = _user("a@x.edu")
    RefreshToken.objects.create(jti="j1", user=user, expires_at=timezone.now())
    _expect([t.jti for t in RefreshToken.objects.filter(user__email="a@x.edu")], ["j1"])


@operation("select_related (admin lists)")
def _select_related():
    from django.utils import timezone

    from users.models import RefreshToken

    user = _user("a@x.edu")
    RefreshToken.objects.create(jti="j1", user=user, expires_at=timezone.now())
    _expect(RefreshToken.objects.select_related("user").get().user.email, "a@x.edu")


@operation("unique index → IntegrityError")
def _unique():
    from django.db import IntegrityError

    _user("a@x.edu")
    try:
        _user("a@x.edu")
    except IntegrityError:
        return
    raise AssertionError("a second user with the same email was stored")


@operation("partial unique index (one pending invitation per pair)")
def _partial_unique():
    from django.db import IntegrityError
    from django.utils import timezone

    from matching.models import Invitation

    fields = {"mentor_email": "m@x.edu", "mentee_email": "e@x.edu", "expires_at": timezone.now()}
    Invitation.objects.create(status="declined", **fields)
    Invitation.objects.create(**fields)  # the declined one does not count
    try:
        Invitation.objects.create(**fields)
    except IntegrityError:
        return
    raise AssertionError("a second pending invitation of the pair was stored")


@operation("transactions_supported(): the backend's `hello` command", orm=False)
def _transactions():
    from matching.services.intents import transactions_supported

    _expect(type(transactions_supported()), bool)


@operation("chat's conversations: raw aggregate ($group, $first $$ROOT, $cond)", orm=False)
def _conversations():
    from chat import services
    from chat.models import Message

    mentor = _user("m@x.edu", role="MENTOR", current_mentees=["e@x.edu", "f@x.edu"])
    _user("e@x.edu", isMatched=True, matchedMentorEmail="m@x.edu")
    _user("f@x.edu", isMatched=True, matchedMentorEmail="m@x.edu")
    for body in ("one", "two"):
        Message.objects.create(sender="e@x.edu", recipient="m@x.edu", body=body)
    rows = services.conversations(user=mentor)
    summary = [
        (r["with"], r["unread"], r["last_message"] and r["last_message"]["body"]) for r in rows
    ]
    _expect(summary, [("e@x.edu", 2, "two"), ("f@x.edu", 0, None)])


# --- running them -------------------------------------------------------------------------


def _clear() -> None:
    from django.db import connection

    for model in (*_models(), _probe_model()):
        connection.get_collection(model._meta.db_table).delete_many({})


def _probe_model():
    from bench.mongomock_probe_models import Person

    return Person


def create_collections() -> None:
    """The models' collections and indexes, where missing (the schema editor's own calls)."""
    from django.db import connection

    # The database's own listing: mongomock lacks the list_collections command the
    # backend's introspection uses.
    existing = set(connection.database.list_collection_names())
    with connection.schema_editor() as editor:
        for model in (*_models(), _probe_model()):
            if model._meta.db_table not in existing:
                editor.create_model(model)


def run_all(operations=None) -> list[Outcome]:
    """Every operation (OPERATIONS by default) on the configured database; each from empty
    collections."""
    from django.db.models.signals import post_save
    from factory.django import mute_signals

    outcomes = []
    # The probe measures the ORM, not the product's receivers (scoring on save).
    with mute_signals(post_save):
        for name, fn in OPERATIONS if operations is None else operations:
            try:
                _clear()
                fn()
                outcomes.append(Outcome(name, True, ""))
            except Exception as error:  # the probe reports every failure, whatever its kind
                outcomes.append(Outcome(name, False, _describe(error)))
    return outcomes


def _describe(error: BaseException) -> str:
    """The error and, for Django's wrapped DatabaseError, the driver's error under it."""
    parts = []
    while error is not None and len(parts) < 2:
        text = str(error).splitlines()[0] if str(error) else ""
        parts.append(f"{type(error).__name__}: {text}".rstrip(": "))
        error = error.__cause__
    return " ← ".join(parts)[:140].replace("|", "/")


def use_mongomock() -> None:
    """mongomock in place of the backend's MongoClient (pymongo's options are dropped:
    timeouts mean nothing in memory) and of its pymongo Collection wrapper."""
    import mongomock
    from django_mongodb_backend import base

    # mongomock claims 5.0 unless told; the backend refuses anything before 6.0.
    mongomock.SERVER_VERSION = "7.0.0"
    base.MongoClient = lambda host=None, driver=None, **options: mongomock.MongoClient(host)
    base.Collection = lambda database, name, **kwargs: database.get_collection(name, **kwargs)


def table(outcomes: list[Outcome], heading: str = "ORM operation", first: int = 1) -> str:
    lines = [f"| # | {heading} | on mongomock |", "|---|---|---|"]
    for n, outcome in enumerate(outcomes, first):
        result = "ok" if outcome.ok else f"fails: `{outcome.detail}`"
        lines.append(f"| {n} | {outcome.name} | {result} |")
    return "\n".join(lines)


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.test_settings")
    os.environ["MONGODB_URI"] = "mongodb://127.0.0.1:27017/"  # never reached: mongomock
    django.setup()
    use_mongomock()
    try:
        create_collections()
        schema = ""
    except Exception as error:  # reported, then each operation shows what follows from it
        schema = f"Creating the collections and indexes failed: {type(error).__name__}: {error}\n\n"
    orm, beyond = run_all(OPERATIONS), run_all(BEYOND_THE_ORM)
    passed = sum(o.ok for o in orm)
    print(schema + table(orm))
    print(f"\n{passed} of {len(orm)} ORM operations run correctly on mongomock.\n")
    print(table(beyond, "Beyond the ORM", len(orm) + 1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
