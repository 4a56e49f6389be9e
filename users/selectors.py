"""Read-only queries of the users app."""

from django.db import connection

from core.documents import from_document
from users.models import User, normalize_email
from users.tokens import SESSIONS


def get_user_by_email(email: str, *, active_only: bool = False) -> User | None:
    """One find_one with the session list left on the server: on the embedded server it
    costs half the ORM's aggregation (`User.objects.filter(...).first()`)."""
    conditions = {"email": normalize_email(email)}
    if active_only:
        conditions["is_active"] = True
    document = connection.get_collection(User._meta.db_table).find_one(conditions, {SESSIONS: 0})
    return None if document is None else from_document(User, document)
