from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from core.errors import AppError
from matching.models import (
    Invitation,
    MatchIntent,
    Preference,
    ProfileEmbedding,
    Round,
    RoundStatus,
    Score,
)
from matching.rounds.report import report_rows
from matching.services import rounds as round_service


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


# --- Matching rounds (issue 15) ---
@admin.register(Preference)
class PreferenceAdmin(admin.ModelAdmin):
    list_display = ("mentee_email", "mentors", "updated_at")
    search_fields = ("mentee_email",)


def _table(headers, rows):
    head = format_html_join("", "<th>{}</th>", ((h,) for h in ["", *headers]))
    body = format_html_join(
        "",
        "<tr><th>{}</th>{}</tr>",
        (
            (label, format_html_join("", "<td>{}</td>", ((c,) for c in cells)))
            for label, cells in rows
        ),
    )
    return format_html("<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>", head, body)


@admin.register(Round)
class RoundAdmin(admin.ModelAdmin):
    """Review drafts: the report table, the assignments, side-by-side comparison; pins and
    exclusions are edited on a draft, then "recompute" makes a new draft with them; publish
    as invitations or matches. Everything else is read-only: rounds change only through
    matching/services/rounds.py."""

    list_display = (
        "__str__",
        "objective",
        "status",
        "created_at",
        "matched",
        "total_score",
        "min_score",
        "mean_rank",
        "blocking_pairs",
    )
    list_filter = ("objective", "status")
    fields = (
        "objective",
        "status",
        "created_at",
        "created_by_email",
        "pinned",
        "excluded",
        "report_table",
        "assignment_table",
        "unmatched_table",
        "published_as",
        "published_by_email",
        "published_at",
        "outcomes",
    )
    actions = ("compare", "recompute", "compute_all_objectives", "publish_as_invitations")
    actions += ("publish_as_matches",)

    def get_readonly_fields(self, request, obj=None):
        editable = {"pinned", "excluded"} if obj and obj.status == RoundStatus.DRAFT else set()
        return [f for f in self.fields if f not in editable]

    def has_add_permission(self, request):
        return False  # a round comes from a computation: the actions or run_round

    @admin.display(description="matched")
    def matched(self, obj):
        return obj.report.get("matched")

    @admin.display(description="total")
    def total_score(self, obj):
        return obj.report.get("total_score")

    @admin.display(description="min")
    def min_score(self, obj):
        return obj.report.get("min_score")

    @admin.display(description="mean rank")
    def mean_rank(self, obj):
        return obj.report.get("mean_rank")

    @admin.display(description="blocking")
    def blocking_pairs(self, obj):
        return obj.report.get("blocking_pairs")

    @admin.display(description="report")
    def report_table(self, obj):
        return _table([obj.objective], report_rows([obj.report]))

    @admin.display(description="assignments")
    def assignment_table(self, obj):
        rows = [(a["mentee"], [a["mentor"], a["score"], a["rank"]]) for a in obj.assignments]
        return _table(["mentor", "score", "rank"], rows)

    @admin.display(description="unmatched")
    def unmatched_table(self, obj):
        rows = [(u["mentee"], [u["reason"]]) for u in obj.report.get("unmatched", [])]
        return _table(["reason"], rows)

    @admin.action(description="Compare the selected rounds side by side")
    def compare(self, request, queryset):
        found = list(queryset.order_by("created_at"))
        context = {
            **self.admin_site.each_context(request),
            "title": "Rounds side by side",
            "headers": [f"{r.objective} {r.status} {str(r.pk)[-6:]}" for r in found],
            "rows": report_rows([r.report for r in found]),
            "back": reverse("admin:matching_round_changelist"),
        }
        return TemplateResponse(request, "admin/matching/round/compare.html", context)

    def _compute(self, request, queryset, objectives_of):
        made = []
        for source in queryset:
            for objective in objectives_of(source):
                try:
                    made.append(
                        round_service.create_round(
                            admin=request.user,
                            objective=objective,
                            pinned=source.pinned,
                            excluded=source.excluded,
                        )
                    )
                except AppError as error:
                    self.message_user(request, f"{source}: {error}", messages.ERROR)
        if made:
            self.message_user(request, f"{len(made)} new draft(s): " + ", ".join(map(str, made)))

    @admin.action(description="Recompute (same objective, the round's pins and exclusions)")
    def recompute(self, request, queryset):
        self._compute(request, queryset, lambda source: [source.objective])

    @admin.action(description="Compute all three objectives with the round's pins/exclusions")
    def compute_all_objectives(self, request, queryset):
        self._compute(request, queryset, lambda source: round_service.OBJECTIVES)

    def _publish(self, request, queryset, mode):
        for found in queryset:
            try:
                result = round_service.publish_round(
                    round_id=found.pk, admin=request.user, mode=mode
                )
            except AppError as error:
                self.message_user(request, f"{found}: {error}", messages.ERROR)
                continue
            skipped = "; ".join(f"{s['mentee']} ({s['reason']})" for s in result.skipped)
            self.message_user(
                request,
                f"{found}: {len(result.published)} published as {mode}, "
                f"{len(result.skipped)} skipped{': ' + skipped if skipped else ''}.",
            )

    @admin.action(description="Publish as invitations")
    def publish_as_invitations(self, request, queryset):
        self._publish(request, queryset, "invitations")

    @admin.action(description="Publish as direct matches")
    def publish_as_matches(self, request, queryset):
        self._publish(request, queryset, "matches")
