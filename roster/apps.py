from django.apps import AppConfig


class RosterConfig(AppConfig):
    default_auto_field = "django_mongodb_backend.fields.ObjectIdAutoField"
    name = "roster"
    verbose_name = "Programme roster"
