from django.urls import path

from users import views

urlpatterns = [
    path("auth/register/", views.register, name="register"),
    path("auth/login/", views.login, name="login"),
    path("auth/refresh/", views.refresh, name="refresh"),
    path("auth/logout/", views.logout, name="logout"),
    path("users/me/", views.me, name="me"),
    path("users/me/restore/", views.restore, name="restore"),
]
