"""User.matched_at: when the current match formed (the roster exports show it). Existing
matches keep null: their date was never recorded."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("users", "0003_sessions_in_user_document"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="matched_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
