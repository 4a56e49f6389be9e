"""Messages between matched pairs."""

from django.db import models
from django.utils import timezone


class Message(models.Model):
    sender = models.EmailField()
    recipient = models.EmailField()
    body = models.TextField(max_length=4000)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # A conversation's page, newest first (queried for both directions of the pair).
            models.Index(fields=["sender", "recipient", "-created_at"], name="msg_pair_recent"),
            # Unread counts and mark-as-read: messages to me not read yet.
            models.Index(fields=["recipient", "read_at"], name="msg_unread"),
        ]

    def __str__(self) -> str:
        return f"{self.sender} → {self.recipient}"
