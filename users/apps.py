from django.apps import AppConfig


class UsersConfig(AppConfig):
    default_auto_field = "django_mongodb_backend.fields.ObjectIdAutoField"
    name = "users"

    def ready(self):
        # core authenticates the API's bearer tokens without importing users (it sits below).
        from core.auth import register_authenticator
        from users.errors import InvalidTokenError, TokenExpiredError
        from users.tokens import authenticate_request

        register_authenticator(authenticate_request, errors=(InvalidTokenError, TokenExpiredError))
