from django.apps import AppConfig


class MatchingConfig(AppConfig):
    default_auto_field = "django_mongodb_backend.fields.ObjectIdAutoField"
    name = "matching"

    def ready(self):
        from matching import signals  # noqa: F401  (connects the receivers)
