"""The outbox: every mail the product sends, rendered when its event happened."""

from django.db import models
from django.utils import timezone


class MailStatus(models.TextChoices):
    PENDING = "pending", "Pending"  # waiting for its first try or a retry (next_attempt_at)
    SENDING = "sending", "Sending"  # claimed by a sender until lease_until
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"  # every attempt failed (OUTBOX_MAX_ATTEMPTS)
    # Its sender died after claiming it: it may or may not have gone out. Never resent by
    # itself (at most once); an admin resends it by hand (same Message-ID).
    UNKNOWN = "unknown", "Unknown"


class OutboxMail(models.Model):
    kind = models.CharField(max_length=40)
    to = models.EmailField()
    subject = models.CharField(max_length=200)
    body_text = models.TextField()
    body_html = models.TextField()
    # Stable across retries and a manual resend, so a recipient's client (or a support
    # person) recognises a duplicate.
    message_id = models.CharField(max_length=200, unique=True)
    # A mail that must exist at most once (a day's chat digest) names its key; any other
    # mail's key is its message_id. Unique: a second enqueue of one key is refused.
    dedupe_key = models.CharField(max_length=200, unique=True)
    status = models.CharField(max_length=10, choices=MailStatus.choices, default=MailStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=100, blank=True, default="")
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")

    class Meta:
        indexes = [
            # The sender's two queries: due pending mails, expired leases.
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due"),
            models.Index(fields=["status", "lease_until"], name="outbox_lease"),
            models.Index(fields=["to", "kind", "-created_at"], name="outbox_to_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.to} ({self.status})"
