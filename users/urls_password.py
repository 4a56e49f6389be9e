from django.urls import path

from users import views_password as views

urlpatterns = [
    path("auth/password-reset/", views.password_reset_request, name="password-reset"),
    path(
        "auth/password-reset/confirm/", views.password_reset_confirm, name="password-reset-confirm"
    ),
    path("auth/verify-email/confirm/", views.verify_email_confirm, name="verify-email-confirm"),
    path("auth/verify-email/resend/", views.verify_email_resend, name="verify-email-resend"),
]
