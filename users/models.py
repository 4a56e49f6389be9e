"""The User (profile, role, matching state) and its refresh-token sessions."""

import secrets

import email_validator
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone
from django_mongodb_backend.fields import ArrayField

from users.categories import CATEGORY_FIELDS

PROFILE_TEXT_MAX = 2000


class Role(models.TextChoices):
    MENTEE = "MENTEE", "Mentee"
    MENTOR = "MENTOR", "Mentor"
    ADMIN = "ADMIN", "Admin"


# What a match list shows of a mentor besides their address and roster, which it reads
# afresh every time: matching/selectors.py keeps these per process and checks each mentor's
# card_rev against the stored one. So every write of one of them stores a new card_rev: the
# model's save and its querysets' update (bulk_update's too) below see to it for the ORM;
# the raw updates (matching state, sessions, passwords) touch none of them. A data migration
# (a historical model has neither) must set card_rev itself when it changes one; a write
# that does not is shown within matching.selectors.CARD_CACHE_SECONDS.
CARD_FIELDS = frozenset(
    ("role", "firstName", "lastName", "major", "minor", "year", "hobbies", "clubs", "goals")
    + CATEGORY_FIELDS
    + ("date_joined",)
)


def new_card_rev() -> str:
    return secrets.token_hex(8)


class UserQuerySet(models.QuerySet):
    def update(self, **kwargs):
        # bulk_update comes here too (matching/tests/test_card_cache.py).
        if not CARD_FIELDS.isdisjoint(kwargs):
            kwargs["card_rev"] = new_card_rev()
        return super().update(**kwargs)


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):
    use_in_migrations = True

    def create_user(self, email, password=None, **fields):
        email = normalize_email(email)
        user = self.model(email=email, **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **fields):
        fields.update(role=Role.ADMIN, is_staff=True, is_superuser=True)
        # Made by an operator, not self-registered: nothing to confirm.
        fields.setdefault("email_verified_at", timezone.now())
        return self.create_user(email, password, **fields)


# The notification mails a user can turn off (profile field email_notifications); account
# mails (password reset, verification) always go out.
NOTIFICATION_KINDS = (
    "matched",
    "unmatched",
    "invitation_received",
    "invitation_accepted",
    "invitation_declined",
    "invitation_expired",
    "round_published",
    "chat_digest",
)


class EmailRuleError(ValueError):
    """An address that breaks the email rules (syntax, length, non-ASCII local part)."""


# ASCII letters only: str.lower() would turn the Kelvin sign "\u212a" into "k" and so give a
# look-alike address another account's spelling.
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def clean_email(email: str) -> str:
    """The one stored form of an address, or EmailRuleError (docs/api.md "Emails").

    email-validator checks the syntax and the lengths (local part <= 64, whole <= 254,
    strict=True), refuses non-ASCII local parts (allow_smtputf8=False: so no look-alikes
    such as "admın" or "ſam"), and maps the domain through IDNA (UTS #46); the address is
    kept with its ASCII (punycode) domain, lower-cased, so "exämple" and "xn--exmple-cua"
    are one mailbox and stored addresses stay plain ASCII. Special-use domains (.local,
    localhost, .invalid, ...) are refused, except .test (test_environment=True), which
    staging cohorts use.
    """
    try:
        valid = email_validator.validate_email(
            email.strip(),
            allow_smtputf8=False,
            strict=True,
            check_deliverability=False,
            test_environment=True,
        )
    except email_validator.EmailNotValidError as exc:
        raise EmailRuleError(str(exc)) from None
    return valid.ascii_email.translate(_ASCII_LOWER)


def normalize_email(email: str) -> str:
    """The stored form of an address, for lookups: never raises. An address that breaks
    the rules is only stripped and ASCII-lower-cased, so it matches nothing stored since
    the rules hold (and still matches what was stored before them)."""
    email = email or ""
    try:
        return clean_email(email)
    except EmailRuleError:
        return email.strip().translate(_ASCII_LOWER)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(unique=True)
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MENTEE)

    # Profile (API.md "Profile fields"; names are the API's).
    firstName = models.CharField(max_length=150, blank=True, default="")
    lastName = models.CharField(max_length=150, blank=True, default="")
    major = ArrayField(models.CharField(max_length=200), default=list, blank=True)
    minor = ArrayField(models.CharField(max_length=200), default=list, blank=True)
    # "1".."5" or "5+"; blank when unknown.
    year = models.CharField(max_length=2, blank=True, default="")
    hobbies = models.TextField(max_length=PROFILE_TEXT_MAX, blank=True, default="")
    clubs = models.TextField(max_length=PROFILE_TEXT_MAX, blank=True, default="")
    goals = models.TextField(max_length=PROFILE_TEXT_MAX, blank=True, default="")
    international = models.BooleanField(default=False)
    commuter = models.BooleanField(default=False)
    firstgen = models.BooleanField(default=False)
    outofstate = models.BooleanField(default=False)
    transfer = models.BooleanField(default=False)

    # Preferences (reference 001): someone not seeking is left out of matches and proposals.
    is_seeking_mentor = models.BooleanField(default=True)
    is_seeking_mentee = models.BooleanField(default=True)
    requirements = models.TextField(max_length=PROFILE_TEXT_MAX, blank=True, default="")

    # Matching state, changed only by matching services with conditional single-document
    # updates (MongoDB has no multi-document transactions without a replica set).
    isMatched = models.BooleanField(default=False)
    matchedMentorEmail = models.EmailField(blank=True, default="")
    # When the current match formed (the exports show it); null while unmatched, and for
    # matches formed before the field existed.
    matched_at = models.DateTimeField(null=True, blank=True)
    current_mentees = ArrayField(models.EmailField(), default=list, blank=True)
    blacklisted_mentors = ArrayField(models.EmailField(), default=list, blank=True)

    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    deletion_requested_at = models.DateTimeField(null=True, blank=True)
    # Set when the address is confirmed (verification link, or a password reset/set-password
    # link, which proves the mailbox too). Required to sign in only with
    # EMAIL_VERIFICATION_REQUIRED.
    email_verified_at = models.DateTimeField(null=True, blank=True)
    # Notification kinds (NOTIFICATION_KINDS) the user turned off; every other kind is on.
    notifications_off = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    # Changes with every write of a CARD_FIELDS field (see there); blank until the first.
    card_rev = models.CharField(max_length=16, blank=True, default="", editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        indexes = [models.Index(fields=["role", "date_joined"], name="user_role_joined")]

    def __str__(self) -> str:
        return self.email

    def save(self, *args, **kwargs):
        self.email = normalize_email(self.email)
        update_fields = kwargs.get("update_fields")
        if update_fields is None or not CARD_FIELDS.isdisjoint(update_fields):
            self.card_rev = new_card_rev()
            if update_fields is not None:
                kwargs["update_fields"] = [*update_fields, "card_rev"]
        super().save(*args, **kwargs)

    @property
    def full_name(self) -> str:
        name = f"{self.firstName.strip()} {self.lastName.strip()}".strip()
        return name or "Not provided"

    def wants_notification(self, kind: str) -> bool:
        return kind not in self.notifications_off

    @property
    def special_categories(self) -> list[str]:
        return [field for field in CATEGORY_FIELDS if getattr(self, field)]


def max_length(name: str) -> int:
    """A User field's length limit (of each entry, for a list field), read from the model,
    which is its one definition."""
    field = User._meta.get_field(name)
    return getattr(field, "base_field", field).max_length


class RefreshToken(models.Model):
    """One signed-in session: the refresh token's id; revoking it ends the session."""

    jti = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="refresh_tokens")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user_id}:{self.jti}"
