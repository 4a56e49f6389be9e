"""MatchIntent; one pending invitation per pair and per-mentee pending slots, guarded by
partial unique indexes. Existing duplicates are cancelled first (the oldest pending one of a
pair is kept) and existing pending invitations get slots, so the indexes can be built."""

import django.utils.timezone
import django_mongodb_backend.fields
from django.db import migrations, models


def cancel_duplicates_and_number_slots(apps, schema_editor):
    Invitation = apps.get_model("matching", "Invitation")
    now = django.utils.timezone.now()
    seen, slots = set(), {}
    for invitation in Invitation.objects.filter(status="pending").order_by("created_at", "pk"):
        pair = (invitation.mentor_email, invitation.mentee_email)
        if pair in seen:
            Invitation.objects.filter(pk=invitation.pk).update(
                status="cancelled", deactivated_at=now
            )
            continue
        seen.add(pair)
        slot = slots.get(invitation.mentee_email, 0)
        slots[invitation.mentee_email] = slot + 1
        Invitation.objects.filter(pk=invitation.pk).update(mentee_slot=slot)


class Migration(migrations.Migration):

    dependencies = [
        ("matching", "0002_invitation"),
    ]

    operations = [
        migrations.CreateModel(
            name="MatchIntent",
            fields=[
                (
                    "id",
                    django_mongodb_backend.fields.ObjectIdAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "op",
                    models.CharField(
                        choices=[
                            ("select", "Select"),
                            ("unmatch", "Unmatch"),
                            ("repair", "Repair"),
                        ],
                        max_length=10,
                    ),
                ),
                ("mentee_email", models.EmailField(max_length=254, unique=True)),
                ("mentor_email", models.EmailField(blank=True, default="", max_length=254)),
                (
                    "invitation_id",
                    django_mongodb_backend.fields.ObjectIdField(blank=True, null=True),
                ),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
        ),
        migrations.AddField(
            model_name="invitation",
            name="mentee_slot",
            field=models.PositiveSmallIntegerField(blank=True, null=True),
        ),
        migrations.RunPython(cancel_duplicates_and_number_slots, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="invitation",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status", "pending")),
                fields=("mentor_email", "mentee_email"),
                name="invitation_one_pending_per_pair",
            ),
        ),
        migrations.AddConstraint(
            model_name="invitation",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status", "pending")),
                fields=("mentee_email", "mentee_slot"),
                name="invitation_pending_mentee_slot",
            ),
        ),
    ]
