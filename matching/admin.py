from django.contrib import admin

from matching.models import Invitation, MatchIntent, ProfileEmbedding, Score


@admin.register(Score)
class ScoreAdmin(admin.ModelAdmin):
    list_display = (
        "mentee_email",
        "mentor_email",
        "score",
        "text",
        "year",
        "categories",
        "updated_at",
    )
    search_fields = ("mentee_email", "mentor_email")
    ordering = ("-score",)


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = (
        "mentor_email",
        "mentee_email",
        "created_by_email",
        "status",
        "mentor_response",
        "mentee_response",
        "created_at",
        "expires_at",
    )
    list_filter = ("status", "mentor_response", "mentee_response")
    search_fields = ("mentor_email", "mentee_email", "created_by_email")
    readonly_fields = ("created_at", "deactivated_at")


@admin.register(ProfileEmbedding)
class ProfileEmbeddingAdmin(admin.ModelAdmin):
    list_display = ("email", "fingerprint", "updated_at")
    search_fields = ("email",)
    exclude = ("vector",)


@admin.register(MatchIntent)
class MatchIntentAdmin(admin.ModelAdmin):
    """Read-only: intents are written and removed by the services and repair_matches only."""

    list_display = ("op", "mentee_email", "mentor_email", "created_at")
    search_fields = ("mentee_email", "mentor_email")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
