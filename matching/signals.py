"""Signals the matching app sends; apps above it (chat) connect receivers, so matching never
imports them."""

from django.dispatch import Signal

# Sent with mentee_email= and mentor_email= after a pair is separated (chat deletes their
# messages).
pair_unmatched = Signal()
