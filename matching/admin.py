from django.contrib import admin

from matching.models import Score


@admin.register(Score)
class ScoreAdmin(admin.ModelAdmin):
    list_display = ("mentee_email", "mentor_email", "score", "text", "year", "categories")
    search_fields = ("mentee_email", "mentor_email")
