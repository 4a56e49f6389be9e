"""The shape of one roster CSV row (strict: unknown keys refused, every value a string in).

The CSV gives text only, so the before-validators turn the cells into the profile's types
(lists split on ';', booleans from true/false, yes/no, 1/0 or empty); the value rules (list
sizes, lengths, year) are then the API's own, applied by users.services.clean_profile_changes
and the model's full_clean in roster.services.importing.
"""

from typing import Literal

from pydantic import BaseModel, ConfigDict, field_validator

from users.categories import CATEGORY_FIELDS

LIST_COLUMNS = ("major", "minor")
TEXT_COLUMNS = ("firstName", "lastName", "year", "hobbies", "clubs", "goals")
REQUIRED_COLUMNS = ("email", "role")
COLUMNS = (*REQUIRED_COLUMNS, *TEXT_COLUMNS[:2], *LIST_COLUMNS, *TEXT_COLUMNS[2:], *CATEGORY_FIELDS)
PROFILE_COLUMNS = tuple(c for c in COLUMNS if c not in REQUIRED_COLUMNS)

TRUE_WORDS = frozenset({"true", "yes", "1"})
FALSE_WORDS = frozenset({"false", "no", "0", ""})


class RosterRow(BaseModel):
    """One row; a column left out of the header is None here (the field is not touched)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    email: str
    role: Literal["MENTEE", "MENTOR"]
    firstName: str | None = None
    lastName: str | None = None
    major: list[str] | None = None
    minor: list[str] | None = None
    year: str | None = None
    hobbies: str | None = None
    clubs: str | None = None
    goals: str | None = None
    international: bool | None = None
    commuter: bool | None = None
    firstgen: bool | None = None
    outofstate: bool | None = None
    transfer: bool | None = None

    @field_validator("role", mode="before")
    @classmethod
    def _role(cls, value):
        # Coordinators type "mentee" as often as "MENTEE"; the two roles are all it may say.
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator(*LIST_COLUMNS, mode="before")
    @classmethod
    def _split(cls, value):
        if isinstance(value, str):
            return [part for part in (p.strip() for p in value.split(";")) if part]
        return value

    @field_validator(*CATEGORY_FIELDS, mode="before")
    @classmethod
    def _flag(cls, value):
        if not isinstance(value, str):
            return value
        word = value.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise ValueError("must be true/false, yes/no, 1/0 or empty")

    def profile(self) -> dict:
        """The profile fields the row gives (columns present in the file)."""
        given = {name: getattr(self, name) for name in PROFILE_COLUMNS}
        return {name: value for name, value in given.items() if value is not None}
