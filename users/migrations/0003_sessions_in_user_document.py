"""Copy the live sessions into their users' documents (users/tokens.py SESSIONS).

Authentication reads only the user's document since this change; without the copy every
session open at deploy time would end (everyone signed out)."""

from django.db import migrations
from django.utils import timezone


def copy_live_sessions(apps, schema_editor):
    RefreshToken = apps.get_model("users", "RefreshToken")
    User = apps.get_model("users", "User")
    users = schema_editor.connection.get_collection(User._meta.db_table)
    now = timezone.now()
    live = RefreshToken.objects.filter(revoked_at=None, expires_at__gt=now)
    for session in live.iterator():
        entry = {"jti": session.jti, "expires_at": session.expires_at}
        # $addToSet: running it twice adds nothing.
        users.update_one({"_id": session.user_id}, {"$addToSet": {"sessions": entry}})


def drop_sessions(apps, schema_editor):
    User = apps.get_model("users", "User")
    users = schema_editor.connection.get_collection(User._meta.db_table)
    users.update_many({}, {"$unset": {"sessions": ""}})


class Migration(migrations.Migration):
    dependencies = [
        ("users", "0002_user_is_seeking_mentee_user_is_seeking_mentor_and_more"),
    ]

    operations = [migrations.RunPython(copy_live_sessions, drop_sessions)]
