from django.urls import path

from matching import views

urlpatterns = [
    path("matches/", views.get_mentor_matches, name="matches"),
    path("rematch/", views.rematch, name="rematch"),
    path("select/", views.select_mentor, name="select"),
    path("my-mentor/", views.get_my_mentor, name="my_mentor"),
    path("my-mentees/", views.get_my_mentees, name="my_mentees"),
    path("unmatch/", views.unmatch, name="unmatch"),
    path("profile/", views.update_profile_view, name="profile"),
    path("invitations/", views.invitations, name="invitations"),
    path(
        "invitations/<str:invitation_id>/respond/",
        views.respond_invitation,
        name="respond_invitation",
    ),
    path(
        "invitations/<str:invitation_id>/cancel/",
        views.cancel_invitation,
        name="cancel_invitation",
    ),
]
