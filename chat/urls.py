from django.urls import path

from chat import views

urlpatterns = [
    path("conversations/", views.conversations, name="conversations"),
    path("messages/", views.messages, name="messages"),
    path("read/", views.read, name="read"),
]
