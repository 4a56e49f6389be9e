"""Messages between matched pairs."""

from django.db import models
from django.utils import timezone


class Message(models.Model):
    sender = models.EmailField()
    recipient = models.EmailField()
    body = models.TextField(max_length=4000)
    created_at = models.DateTimeField(default=timezone.now)
    read = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["sender", "recipient", "-created_at"], name="msg_pair_recent"),
            models.Index(fields=["recipient", "read"], name="msg_unread"),
        ]

    def __str__(self) -> str:
        return f"{self.sender} → {self.recipient}"
