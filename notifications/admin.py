from django.contrib import admin, messages
from django.utils import timezone

from notifications.models import MailStatus, OutboxMail


def resend(*, pks) -> int:
    """Put failed or unknown mails back in the queue (same Message-ID); returns how many."""
    return OutboxMail.objects.filter(
        pk__in=list(pks), status__in=[MailStatus.FAILED, MailStatus.UNKNOWN]
    ).update(status=MailStatus.PENDING, attempts=0, next_attempt_at=timezone.now(), claimed_by="")


@admin.register(OutboxMail)
class OutboxMailAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "to", "subject", "status", "attempts", "sent_at")
    list_filter = ("status", "kind")
    search_fields = ("to", "subject", "message_id")
    ordering = ("-created_at",)
    readonly_fields = [f.name for f in OutboxMail._meta.fields]
    actions = ["resend_mails"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Resend the selected failed or unknown mails")
    def resend_mails(self, request, queryset):
        count = resend(pks=queryset.values_list("pk", flat=True))
        self.message_user(
            request,
            f"{count} mail(s) queued again; mails neither failed nor unknown were left alone.",
            messages.SUCCESS,
        )
