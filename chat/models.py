"""Messages between matched pairs."""

from django.db import models
from django.utils import timezone


def pair_key(first: str, second: str) -> str:
    """A conversation's key: the two (stored, normalised) emails in order, one per line, so
    the same whichever of them sends. Stored in every message: never change its form."""
    return "\n".join(sorted((first, second)))


class PairKeyField(models.CharField):
    """The message's pair_key(sender, recipient), set from them whenever the message is
    written by the ORM (save, create and bulk_create all call pre_save)."""

    def pre_save(self, model_instance, add):
        value = pair_key(model_instance.sender, model_instance.recipient)
        setattr(model_instance, self.attname, value)
        return value


class Message(models.Model):
    sender = models.EmailField()
    recipient = models.EmailField()
    # An email has at most 254 characters (EmailField), and no newline.
    pair = PairKeyField(max_length=2 * 254 + 1, editable=False, default="")
    body = models.TextField(max_length=4000)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # A conversation's page, newest first, and the conversation list's messages: one
            # equality whichever of the two sent, in the pages' order (created_at, id).
            models.Index(fields=["pair", "-created_at", "-id"], name="msg_conversation"),
            # A user's messages by sender (deleting a user's messages; mark-as-read's filter).
            models.Index(fields=["sender", "recipient", "-created_at"], name="msg_pair_recent"),
            # Unread counts and mark-as-read: messages to me not read yet.
            models.Index(fields=["recipient", "read_at"], name="msg_unread"),
        ]

    def __str__(self) -> str:
        return f"{self.sender} → {self.recipient}"
