"""Read-only queries of the users app."""

from django.db import connection

from core.documents import from_document
from users.models import User, normalize_email
from users.tokens import SESSIONS


def _users():
    return connection.get_collection(User._meta.db_table)


def get_user_by_email(email: str, *, active_only: bool = False) -> User | None:
    """One find_one with the session list left on the server: on the embedded server it
    costs half the ORM's aggregation (`User.objects.filter(...).first()`)."""
    conditions = {"email": normalize_email(email)}
    if active_only:
        conditions["is_active"] = True
    document = _users().find_one(conditions, {SESSIONS: 0})
    return None if document is None else from_document(User, document)


def get_users_by_email(emails: list[str]) -> dict[str, User]:
    """The users with these (stored, normalised) emails, by email, in one find; the same
    projection as get_user_by_email."""
    found = _users().find({"email": {"$in": emails}}, {SESSIONS: 0})
    return {document["email"]: from_document(User, document) for document in found}
