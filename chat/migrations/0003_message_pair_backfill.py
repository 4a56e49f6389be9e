"""Give every message written before chat 0002 its pair key (chat.models.pair_key).

Conversation pages and the conversation list read messages by their pair key since 0002;
a message without one would vanish from both. Idempotent (it sets only keys still missing
or empty, to the value the model computes), so a migration that died half-way is simply run
again. Stop the old application before migrating: a message an old process writes after
this ran has no key (docs/operations.md "Upgrading")."""

from django.db import migrations
from pymongo import UpdateOne

from chat.models import pair_key

BATCH = 1000


def set_pair_keys(apps, schema_editor):
    Message = apps.get_model("chat", "Message")
    messages = schema_editor.connection.get_collection(Message._meta.db_table)
    # $in with null: a missing field too.
    missing = messages.find({"pair": {"$in": ["", None]}}, {"sender": 1, "recipient": 1})
    batch = []
    for document in missing:
        key = pair_key(document["sender"], document["recipient"])
        batch.append(UpdateOne({"_id": document["_id"]}, {"$set": {"pair": key}}))
        if len(batch) == BATCH:
            messages.bulk_write(batch, ordered=False)
            batch = []
    if batch:
        messages.bulk_write(batch, ordered=False)


class Migration(migrations.Migration):
    dependencies = [("chat", "0002_message_pair")]

    operations = [migrations.RunPython(set_pair_keys, migrations.RunPython.noop)]
