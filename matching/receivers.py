"""Matching's answers to the users app's events (users never imports matching); connected
in MatchingConfig.ready()."""

from matching.services import invitations, matches, preferences, scores
from users.models import User


def refresh_scores_on_profile_save(sender, instance: User, update_fields=None, **kwargs):
    scores.refresh_scores_after_save(user=instance, update_fields=update_fields)


def remove_scores_of_purged_user(sender, user: User, **kwargs):
    scores.remove_user_scores(email=user.email)


def detach_purged_user(sender, user: User, **kwargs):
    matches.detach_user(user=user)


def delete_invitations_of_purged_user(sender, user: User, **kwargs):
    invitations.delete_invitations_of(email=user.email)


def delete_preferences_of_purged_user(sender, user: User, **kwargs):
    preferences.delete_preferences_of(email=user.email)
