from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from users.models import RefreshToken, User


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
                    "international",
                    "commuter",
                    "firstgen",
                    "outofstate",
                    "transfer",
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
