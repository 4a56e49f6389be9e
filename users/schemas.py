"""Request and response schemas of the users endpoints (API.md "Users and auth")."""

from typing import Annotated, Literal

from pydantic import Field, WithJsonSchema, create_model

from core.schemas import Out, Strict
from users.models import NOTIFICATION_KINDS

# API.md's year: 1–5, or "5+", null when unknown. In the spec a oneOf of three plain types
# (pydantic would write an anyOf): a mixed-type enum made openapi-python-client drop every
# schema using it (issue 14).
Year = Annotated[
    Annotated[int, Field(ge=1, le=5)] | Literal["5+"] | None,
    WithJsonSchema(
        {
            "oneOf": [
                {"type": "integer", "minimum": 1, "maximum": 5},
                {"type": "string", "enum": ["5+"]},
                {"type": "null"},
            ],
            "description": 'Year of study: 1–5, "5+", or null when unknown.',
        }
    ),
]


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


# One field per users.models.NOTIFICATION_KINDS, in its order: a new kind is in both at once.
EmailNotificationsIn = create_model(
    "EmailNotificationsIn",
    __base__=Strict,
    __doc__="Any of the notification kinds (users.models.NOTIFICATION_KINDS), each on (true) "
    "or off (false); kinds left out keep their setting.",
    **{kind: (bool, None) for kind in NOTIFICATION_KINDS},
)
EmailNotifications = create_model(
    "EmailNotifications",
    __base__=Out,
    __doc__='Which notification mails the user gets (docs/api.md "Notifications").',
    **{kind: (bool, ...) for kind in NOTIFICATION_KINDS},
)


class ProfileIn(Strict):
    """PUT /matching/profile/: any of these; lengths, list sizes and the year's values are
    checked by users.services.update_profile (validation_failed)."""

    # Optional, never null: a field left out is unchanged, null is invalid_field.
    firstName: str = None
    lastName: str = None
    major: list[str] = None
    minor: list[str] = None
    year: int | str = None  # 1–5, or a string such as "3" or "5+"
    hobbies: str = None
    clubs: str = None
    goals: str = None
    international: bool = None
    commuter: bool = None
    firstgen: bool = None
    outofstate: bool = None
    transfer: bool = None
    is_seeking_mentor: bool = None
    is_seeking_mentee: bool = None
    requirements: str = None
    email_notifications: EmailNotificationsIn = None


class Profile(Out):
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


class User(Out):
    """The signed-in user's own view: users.serializers.user_to_json, in its order."""

    id: str
    role: str
    firstName: str
    lastName: str
    email: str
    name: str
    major: list[str]
    minor: list[str]
    year: Year
    hobbies: str
    clubs: str
    goals: str
    specialCategories: list[str]
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
    email_verified: bool
    email_notifications: EmailNotifications


class UserEnvelope(Out):
    user: User


class Session(Out):
    user: User
    access: str
    refresh: str


class Access(Out):
    access: str


class DeletionScheduled(Out):
    deletion_scheduled_for: str | None
