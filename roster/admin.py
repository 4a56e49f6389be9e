"""The coordinator's admin: participants with CSV export actions, the roster import page
(dry run first, then apply) and the programme report page."""

from io import StringIO

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import path

from roster.models import Participant
from roster.services.exporting import export
from roster.services.importing import MAX_FILE_BYTES, MAX_ROWS, RosterFileError, import_roster
from roster.services.report import programme_report, render_text
from users.models import Role


class ImportForm(forms.Form):
    file = forms.FileField(help_text=f"UTF-8 CSV, at most {MAX_ROWS} rows and 5 MiB.")
    dry_run = forms.BooleanField(
        required=False, initial=True, help_text="Check the file and report; write nothing."
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError("The file is larger than 5 MiB.")
        return upload


def _csv_response(kind: str, emails: set[str]) -> HttpResponse:
    out = StringIO()
    export(kind, out, emails=emails)
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{kind}.csv"'
    return response


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin):
    change_list_template = "admin/roster/participant/change_list.html"
    list_display = ("email", "role", "firstName", "lastName", "isMatched", "matchedMentorEmail")
    list_filter = ("role", "isMatched", "is_seeking_mentor", "is_seeking_mentee")
    search_fields = ("email", "firstName", "lastName")
    ordering = ("email",)
    actions = ("export_matches", "export_rosters", "export_unmatched")

    def get_queryset(self, request):
        return super().get_queryset(request).filter(role__in=[Role.MENTEE, Role.MENTOR])

    # Accounts are edited and deleted under Users (the purge flow); this is a read view.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Export the current matches of the selected (CSV)")
    def export_matches(self, request, queryset):
        return _csv_response("matches", set(queryset.values_list("email", flat=True)))

    @admin.action(description="Export the rosters of the selected mentors (CSV)")
    def export_rosters(self, request, queryset):
        return _csv_response("rosters", set(queryset.values_list("email", flat=True)))

    @admin.action(description="Export the selected mentees without a mentor, with reasons (CSV)")
    def export_unmatched(self, request, queryset):
        return _csv_response("unmatched", set(queryset.values_list("email", flat=True)))

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("import/", view(self.import_view), name="roster_participant_import"),
            path("report/", view(self.report_view), name="roster_participant_report"),
            *super().get_urls(),
        ]

    def _context(self, request, title: str) -> dict:
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": title,
        }

    def import_view(self, request):
        if not request.user.has_perms(["users.add_user", "users.change_user"]):
            raise PermissionDenied
        report, file_error = None, ""
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                report = import_roster(
                    data=form.cleaned_data["file"].read(), dry_run=form.cleaned_data["dry_run"]
                )
            except RosterFileError as exc:
                file_error = f"{exc} Nothing was imported."
        context = {
            **self._context(request, "Import participants"),
            "form": form,
            "report": report,
            "file_error": file_error,
        }
        return TemplateResponse(request, "admin/roster/participant/import.html", context)

    def report_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        report = programme_report()
        context = {
            **self._context(request, "Programme report"),
            "report": report,
            "text": render_text(report),
        }
        return TemplateResponse(request, "admin/roster/participant/report.html", context)
