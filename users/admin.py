from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from users.categories import CATEGORY_FIELDS
from users.models import RefreshToken, User
from users.tokens import end_session


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ("email",)
    list_display = ("email", "role", "firstName", "lastName", "isMatched", "date_joined")
    list_filter = ("role", "isMatched", "is_staff", "is_seeking_mentor", "is_seeking_mentee")
    search_fields = ("email", "firstName", "lastName")
    readonly_fields = ("date_joined", "last_login")
    fieldsets = (
        (None, {"fields": ("email", "password", "role")}),
        (
            "Profile",
            {
                "fields": (
                    "firstName",
                    "lastName",
                    "major",
                    "minor",
                    "year",
                    "hobbies",
                    "clubs",
                    "goals",
                    *CATEGORY_FIELDS,
                )
            },
        ),
        ("Preferences", {"fields": ("is_seeking_mentor", "is_seeking_mentee", "requirements")}),
        (
            "Matching",
            {
                "fields": (
                    "isMatched",
                    "matchedMentorEmail",
                    "current_mentees",
                    "blacklisted_mentors",
                )
            },
        ),
        ("Status", {"fields": ("is_active", "is_staff", "is_superuser", "deletion_requested_at")}),
        ("Dates", {"fields": ("date_joined", "last_login")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "role", "password1", "password2")}),
    )


@admin.register(RefreshToken)
class RefreshTokenAdmin(admin.ModelAdmin):
    list_display = ("user", "created_at", "expires_at", "revoked_at")
    readonly_fields = ("jti", "user", "created_at", "expires_at")

    def save_model(self, request, obj, form, change):
        # Authentication reads the user's document, not this row: revoking here must take
        # the session out of it too (users/tokens.py).
        super().save_model(request, obj, form, change)
        if obj.revoked_at is not None:
            end_session(obj.user_id, obj.jti)

    def delete_model(self, request, obj):
        end_session(obj.user_id, obj.jti)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for session in queryset:
            end_session(session.user_id, session.jti)
        super().delete_queryset(request, queryset)
