"""Signals the users app sends; apps above it (matching, chat) connect receivers."""

from django.dispatch import Signal

# Sent with user=<User> just before a purged account is deleted.
user_purged = Signal()
