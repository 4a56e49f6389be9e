"""Receivers connecting the users app's events to scoring (users never imports matching)."""

from django.db.models.signals import post_save
from django.dispatch import Signal, receiver

from matching import services
from matching.services import invitations, matches
from users.models import User
from users.signals import user_purged

# Sent with mentee_email= and mentor_email= after a pair is separated (chat deletes
# their messages; matching never imports chat).
pair_unmatched = Signal()


@receiver(post_save, sender=User, dispatch_uid="matching.refresh_scores_on_profile_save")
def refresh_scores_on_profile_save(sender, instance: User, update_fields=None, **kwargs):
    # Saves that touch no scoring field (last_login, password, matching state) cost nothing.
    if update_fields is not None and not services.SCORING_FIELDS & set(update_fields):
        return
    services.refresh_scores_for_user(user=instance)


@receiver(user_purged, dispatch_uid="matching.remove_scores_of_purged_user")
def remove_scores_of_purged_user(sender, user: User, **kwargs):
    services.remove_user_scores(email=user.email)


@receiver(user_purged, dispatch_uid="matching.detach_purged_user")
def detach_purged_user(sender, user: User, **kwargs):
    matches.detach_user(user=user)


@receiver(user_purged, dispatch_uid="matching.delete_invitations_of_purged_user")
def delete_invitations_of_purged_user(sender, user: User, **kwargs):
    invitations.delete_invitations_of(email=user.email)


@receiver(user_purged, dispatch_uid="matching.delete_preferences_of_purged_user")
def delete_preferences_of_purged_user(sender, user: User, **kwargs):
    from matching.services.preferences import delete_preferences_of

    delete_preferences_of(email=user.email)
