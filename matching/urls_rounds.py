from django.urls import path

from matching import views_rounds

urlpatterns = [
    path("preferences/", views_rounds.preferences, name="preferences"),
    path("rounds/", views_rounds.rounds, name="rounds"),
    path("rounds/<str:round_id>/", views_rounds.round_detail, name="round_detail"),
    path("rounds/<str:round_id>/publish/", views_rounds.publish_round, name="round_publish"),
]
