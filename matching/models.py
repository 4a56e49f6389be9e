"""Scores of mentee–mentor pairs."""

from django.db import models
from django.utils import timezone


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

    @property
    def mentee(self):
        from users.models import User

        return User.objects.get(email=self.mentee_email)

    @property
    def mentor(self):
        from users.models import User

        return User.objects.get(email=self.mentor_email)


class ProfileEmbedding(models.Model):
    """A user's profile-text embedding, reused until the text's fingerprint changes."""

    email = models.EmailField(unique=True)
    fingerprint = models.CharField(max_length=64)
    # float32 little-endian bytes (384 × 4): a third of the size of a BSON array of doubles.
    vector = models.BinaryField()
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.email
