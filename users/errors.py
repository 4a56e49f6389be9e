"""Errors of the users app (auth, accounts)."""

from core.errors import ConflictError, UnauthorizedError, ValidationFailedError


class InvalidCredentialsError(UnauthorizedError):
    code, message = "invalid_credentials", "The email or password is incorrect."


class InvalidTokenError(UnauthorizedError):
    code, message = "invalid_token", "The token is malformed, revoked or not valid here."


class TokenExpiredError(UnauthorizedError):
    code, message = "token_expired", "The token has expired."


class EmailTakenError(ConflictError):
    code, message = "email_taken", "An account with this email already exists."


class InvalidPasswordError(ValidationFailedError):
    code, message = "invalid_password", "The password is too weak."


class NotPendingDeletionError(ConflictError):
    code, message = "not_pending_deletion", "This account is not pending deletion."
