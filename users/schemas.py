"""Request and response schemas of the users endpoints (API.md "Users and auth")."""

from typing import Annotated, Literal

from ninja import Schema
from pydantic import Field

from core.schemas import Strict

# API.md's year: 1–5, or "5+", null when unknown.
Year = Annotated[int, Field(ge=1, le=5)] | Literal["5+"] | None


class RegisterIn(Strict):
    email: str
    password: str
    role: str
    firstName: str = ""
    lastName: str = ""


class LoginIn(Strict):
    email: str
    password: str


class RefreshIn(Strict):
    refresh: str


class EmptyIn(Strict):
    """No fields: any field sent is unknown_field."""


class Profile(Schema):
    """A user as others see them (match lists, rosters): users.serializers.profile_to_json."""

    email: str
    name: str
    major: list[str]
    minor: list[str]
    year: Year
    hobbies: str
    clubs: str
    goals: str
    specialCategories: list[str]


class User(Profile):
    """The signed-in user's own view: users.serializers.user_to_json."""

    id: str
    role: str
    firstName: str
    lastName: str
    international: bool
    commuter: bool
    firstgen: bool
    outofstate: bool
    transfer: bool
    is_seeking_mentor: bool
    is_seeking_mentee: bool
    requirements: str
    isMatched: bool
    matchedMentorEmail: str | None
    current_mentees: list[str]
    date_joined: str | None
    deletion_requested_at: str | None
    deletion_scheduled_for: str | None


class UserEnvelope(Schema):
    user: User


class Session(Schema):
    user: User
    access: str
    refresh: str


class Access(Schema):
    access: str


class DeletionScheduled(Schema):
    deletion_scheduled_for: str | None
