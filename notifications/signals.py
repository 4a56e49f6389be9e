"""Signals of the notifications app (it imports no app above it; they connect here)."""

from django.dispatch import Signal

# Sent by the sender loop at most every OUTBOX_PERIODIC_SECONDS (and by every
# `send_emails --once`), with now=: apps that mail on a schedule (chat's daily digest)
# enqueue their mails from a receiver.
outbox_tick = Signal()
