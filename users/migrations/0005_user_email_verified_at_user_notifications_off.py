"""Email verification and notification opt-outs. Accounts that exist already count as
verified (from their date_joined): turning EMAIL_VERIFICATION_REQUIRED on later must not lock
out people who registered before there was anything to confirm."""

import django_mongodb_backend.fields
from django.db import migrations, models
from django.db.models import F


def verify_existing_accounts(apps, schema_editor):
    User = apps.get_model("users", "User")
    User.objects.filter(email_verified_at=None).update(email_verified_at=F("date_joined"))


class Migration(migrations.Migration):
    dependencies = [
        ("users", "0004_user_matched_at"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="email_verified_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="user",
            name="notifications_off",
            field=django_mongodb_backend.fields.ArrayField(
                base_field=models.CharField(max_length=40), blank=True, default=list
            ),
        ),
        migrations.RunPython(verify_existing_accounts, migrations.RunPython.noop),
    ]
