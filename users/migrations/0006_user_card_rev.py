"""User.card_rev: changes with every write of a field a match list shows of a mentor
(users/models.py CARD_FIELDS), so that each process can keep those cards and still show
every change at once (matching/selectors.py). Existing users start blank."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("users", "0005_user_email_verified_at_user_notifications_off"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="card_rev",
            field=models.CharField(blank=True, default="", editable=False, max_length=16),
        ),
    ]
