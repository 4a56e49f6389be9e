"""Errors of the chat rules."""

from core.errors import ForbiddenError, ValidationFailedError


class NotMatchedError(ForbiddenError):
    code, message = "not_matched", "You can only chat with your current match."


class InvalidCursorError(ValidationFailedError):
    code, message = "invalid_cursor", "The cursor is malformed; use next_cursor as given."
