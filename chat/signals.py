"""Receivers: chat reacts to matching and users events without them importing chat."""

from django.dispatch import receiver

from chat import notify, services
from matching.signals import pair_unmatched
from notifications.signals import outbox_tick
from users.signals import user_purged


@receiver(pair_unmatched, dispatch_uid="chat.delete_messages_of_unmatched_pair")
def delete_messages_of_unmatched_pair(sender, mentee_email: str, mentor_email: str, **kwargs):
    services.delete_messages_between(first=mentee_email, second=mentor_email)


@receiver(user_purged, dispatch_uid="chat.delete_messages_of_purged_user")
def delete_messages_of_purged_user(sender, user, **kwargs):
    services.delete_messages_of(email=user.email)


@receiver(outbox_tick, dispatch_uid="chat.send_chat_digests")
def send_chat_digests(sender, now, **kwargs):
    notify.send_digests(now=now)
