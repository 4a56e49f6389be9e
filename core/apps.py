"""core's AppConfig, and the contrib apps with ObjectId primary keys (django-mongodb-backend)."""

from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig
from django.contrib.auth.apps import AuthConfig
from django.contrib.contenttypes.apps import ContentTypesConfig


class MongoAdminConfig(AdminConfig):
    default_auto_field = "django_mongodb_backend.fields.ObjectIdAutoField"


class MongoAuthConfig(AuthConfig):
    default_auto_field = "django_mongodb_backend.fields.ObjectIdAutoField"


class MongoContentTypesConfig(ContentTypesConfig):
    default_auto_field = "django_mongodb_backend.fields.ObjectIdAutoField"


class CoreConfig(AppConfig):
    """The API plumbing (core/api.py, core/auth.py, core/errors.py): no models."""

    # Named in INSTALLED_APPS ("core.apps.CoreConfig"): the contrib configs imported above
    # are defaults of their own apps, so Django cannot pick this one by itself.
    name = "core"
