from django.apps import AppConfig


class MatchingConfig(AppConfig):
    default_auto_field = "django_mongodb_backend.fields.ObjectIdAutoField"
    name = "matching"

    def ready(self):
        # Imported here: receivers reach the models, which exist once the registry is ready.
        from django.db.models.signals import post_save

        from matching import receivers
        from users.models import User
        from users.signals import user_purged

        post_save.connect(
            receivers.refresh_scores_on_profile_save,
            sender=User,
            dispatch_uid="matching.refresh_scores_on_profile_save",
        )
        for receiver in (
            receivers.remove_scores_of_purged_user,
            receivers.detach_purged_user,
            receivers.delete_invitations_of_purged_user,
            receivers.delete_preferences_of_purged_user,
        ):
            user_purged.connect(receiver, dispatch_uid=f"matching.{receiver.__name__}")
