"""The base of every request schema, and the error body every error response carries."""

from ninja import Schema
from pydantic import ConfigDict


class Strict(Schema):
    """Request bodies and queries: unknown fields are refused (unknown_field) and nothing is
    coerced ("true" is not a boolean, 1 is not a string, {"$ne": null} is never a string:
    invalid_field), so no operator object can reach a MongoDB query."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Error(Schema):
    """Every error response: a human message and the machine code (docs/api.md's table)."""

    error: str
    code: str


class Status(Schema):
    status: str
