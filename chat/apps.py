from django.apps import AppConfig


class ChatConfig(AppConfig):
    default_auto_field = "django_mongodb_backend.fields.ObjectIdAutoField"
    name = "chat"

    def ready(self):
        # Imported here: receivers reach the models, which exist once the registry is ready.
        from chat import receivers
        from matching.signals import pair_unmatched
        from users.signals import user_purged

        pair_unmatched.connect(
            receivers.delete_messages_of_unmatched_pair,
            dispatch_uid="chat.delete_messages_of_unmatched_pair",
        )
        user_purged.connect(
            receivers.delete_messages_of_purged_user,
            dispatch_uid="chat.delete_messages_of_purged_user",
        )
