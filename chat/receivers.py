"""Chat's answers to matching and users events (they never import chat); connected in
ChatConfig.ready()."""

from chat import services


def delete_messages_of_unmatched_pair(sender, mentee_email: str, mentor_email: str, **kwargs):
    services.delete_messages_between(first=mentee_email, second=mentor_email)


def delete_messages_of_purged_user(sender, user, **kwargs):
    services.delete_messages_of(email=user.email)
