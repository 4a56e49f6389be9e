"""Scores of mentee–mentor pairs, invitations, and the intents of match changes in flight."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_mongodb_backend.fields import ArrayField, ObjectIdField


class Score(models.Model):
    """The compatibility of one mentee with one mentor, with its explanation.

    score = text + year + categories (API.md "Scores"). The pair is unique in the database.
    """

    mentee_email = models.EmailField()
    mentor_email = models.EmailField()
    score = models.FloatField()
    text = models.FloatField(default=0.0)
    year = models.FloatField(default=0.0)
    categories = models.FloatField(default=0.0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["mentee_email", "mentor_email"], name="score_unique_pair"
            )
        ]
        indexes = [
            models.Index(fields=["mentee_email", "-score"], name="score_mentee_rank"),
            models.Index(fields=["mentor_email"], name="score_mentor"),
        ]

    def __str__(self) -> str:
        return f"{self.mentee_email} - {self.mentor_email}: {self.score}"


class ProfileEmbedding(models.Model):
    """A user's profile-text embedding, reused until the text's fingerprint changes."""

    email = models.EmailField(unique=True)
    fingerprint = models.CharField(max_length=64)
    # float32 little-endian bytes (384 × 4): a third of the size of a BSON array of doubles.
    vector = models.BinaryField()
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.email


class InvitationStatus(models.TextChoices):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class Response(models.TextChoices):
    ACCEPTED = "accepted"
    DECLINED = "declined"


class Invitation(models.Model):
    """A proposed pairing that both the mentor and the mentee must accept (reference 001).

    Created by the mentor, the mentee (their own side counts as accepted) or an ADMIN
    matchmaker. One decline ends it; two accepts form the match through select_mentor.
    """

    mentor_email = models.EmailField()
    mentee_email = models.EmailField()
    created_by_email = models.EmailField()
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    mentor_response = models.CharField(max_length=10, choices=Response.choices, null=True)
    mentee_response = models.CharField(max_length=10, choices=Response.choices, null=True)
    status = models.CharField(
        max_length=10, choices=InvitationStatus.choices, default=InvitationStatus.PENDING
    )
    deactivated_at = models.DateTimeField(null=True, blank=True)
    # While pending: a number in [0, MAX_PENDING_INVITATIONS_PER_MENTEE) unique among the
    # mentee's pending invitations, so the cap holds under concurrent creates (the partial
    # unique index below ignores it once the invitation leaves pending).
    mentee_slot = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            # Partial unique indexes (partialFilterExpression status == "pending"): a
            # concurrent duplicate insert fails with a duplicate key, i.e. IntegrityError.
            models.UniqueConstraint(
                fields=["mentor_email", "mentee_email"],
                condition=Q(status="pending"),
                name="invitation_one_pending_per_pair",
            ),
            models.UniqueConstraint(
                fields=["mentee_email", "mentee_slot"],
                condition=Q(status="pending"),
                name="invitation_pending_mentee_slot",
            ),
        ]
        indexes = [
            models.Index(fields=["mentee_email", "status"], name="invitation_mentee"),
            models.Index(fields=["mentor_email", "status"], name="invitation_mentor"),
            models.Index(fields=["status", "expires_at"], name="invitation_expiry"),
        ]

    def __str__(self) -> str:
        return f"{self.mentor_email} ↔ {self.mentee_email} ({self.status})"


class IntentOp(models.TextChoices):
    SELECT = "select"
    UNMATCH = "unmatch"
    REPAIR = "repair"


class MatchIntent(models.Model):
    """A change of a mentee's match in flight (matching/services/intents.py).

    Written before the first of the two document updates (mentee, roster) and deleted after
    the last, where the server has no transactions. At most one per mentee (unique), so it
    is also the mentee's lock: a second change of the same mentee waits for it, and the
    repair takes it before touching the pair. One older than MATCH_INTENT_LEASE_SECONDS
    was left by a crashed process and is rolled forward or back by the repair.
    """

    op = models.CharField(max_length=10, choices=IntentOp.choices)
    mentee_email = models.EmailField(unique=True)
    mentor_email = models.EmailField(blank=True, default="")
    # Set when the select forms the match of an accepted invitation (closed on roll-forward).
    invitation_id = ObjectIdField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.op} {self.mentee_email} → {self.mentor_email} ({self.created_at})"


class Preference(models.Model):
    """A mentee's shortlist of mentors, best first (API.md "Preferences and rounds").

    One small document per mentee (unique), replaced whole by PUT; read with the mentee's
    match list and by rounds. Mentors who became unavailable stay listed."""

    mentee_email = models.EmailField(unique=True)
    mentors = ArrayField(models.EmailField(), default=list, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.mentee_email}: {', '.join(self.mentors)}"


class RoundObjective(models.TextChoices):
    TOTAL = "total"
    STABLE = "stable"
    FAIR = "fair"


class RoundStatus(models.TextChoices):
    DRAFT = "draft"
    # Claimed by one publish (conditional update from draft); published when every pair
    # has its outcome. A round left here by a crash is resumed after ROUND_PUBLISH_LEASE_SECONDS.
    PUBLISHING = "publishing"
    PUBLISHED = "published"


class PublishAs(models.TextChoices):
    INVITATIONS = "invitations"
    MATCHES = "matches"


class Round(models.Model):
    """A proposal of one objective over the cohort of its time, a draft until published.

    assignments: [{mentee, mentor, score, rank}]; report: the quality report (API.md);
    pinned/excluded: [{mentee, mentor}] as the admin gave them; outcomes: one entry per
    assignment once publishing handled it ({mentee, mentor, result: published|skipped,
    reason}), appended one by one so a resumed publish skips what is done."""

    objective = models.CharField(max_length=10, choices=RoundObjective.choices)
    status = models.CharField(max_length=12, choices=RoundStatus.choices, default=RoundStatus.DRAFT)
    created_at = models.DateTimeField(default=timezone.now)
    created_by_email = models.EmailField(blank=True, default="")
    pinned = models.JSONField(default=list, blank=True)
    excluded = models.JSONField(default=list, blank=True)
    assignments = models.JSONField(default=list, blank=True)
    report = models.JSONField(default=dict, blank=True)
    published_as = models.CharField(max_length=12, choices=PublishAs.choices, blank=True)
    published_by_email = models.EmailField(blank=True, default="")
    publish_token = models.CharField(max_length=32, blank=True, default="")
    publish_started_at = models.DateTimeField(null=True, blank=True)
    publish_claimed_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    outcomes = models.JSONField(default=list, blank=True)
    # The pair whose publish step is under way ({mentee, mentor}), None between steps.
    publish_current = models.JSONField(null=True, blank=True, default=None)

    class Meta:
        indexes = [models.Index(fields=["-created_at"], name="round_newest")]

    def __str__(self) -> str:
        return f"{self.objective} round {self.pk} ({self.status})"
