from django.apps import AppConfig


class ChatConfig(AppConfig):
    default_auto_field = "django_mongodb_backend.fields.ObjectIdAutoField"
    name = "chat"

    def ready(self):
        from chat import signals  # noqa: F401  (connects the receivers)
