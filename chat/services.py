"""Chat rules (the endpoints come with the chat issue)."""

from django.db.models import Q

from chat.models import Message


def delete_messages_between(*, first: str, second: str) -> int:
    """Hard-delete every message exchanged by two users; returns how many."""
    pair = Q(sender=first, recipient=second) | Q(sender=second, recipient=first)
    deleted, _ = Message.objects.filter(pair).delete()
    return deleted


def delete_messages_of(*, email: str) -> int:
    """Hard-delete every message a user sent or received."""
    deleted, _ = Message.objects.filter(Q(sender=email) | Q(recipient=email)).delete()
    return deleted
