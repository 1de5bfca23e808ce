from typing import TYPE_CHECKING

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.safestring import SafeString

from events.admin.base import RETRY_PERMISSION, status_badge
from events.console.log import bulk_retry_job_cancel, bulk_retry_job_outcome
from events.console.params import console_filters_describe
from events.models import BulkRetryJob

if TYPE_CHECKING:
    _BulkRetryJobModelAdmin = admin.ModelAdmin[BulkRetryJob]
else:  # ModelAdmin takes no type argument at run time
    _BulkRetryJobModelAdmin = admin.ModelAdmin


@admin.register(BulkRetryJob)
class BulkRetryJobAdmin(_BulkRetryJobModelAdmin):
    """Progress of bulk retries; whoever may retry may watch and cancel them."""

    list_display = (
        "id",
        "status_badge",
        "filter_summary",
        "total",
        "processed",
        "queued",
        "created_by",
        "created_at",
    )
    list_select_related = ("created_by", "cancelled_by")
    change_form_template = "admin/events/bulkretryjob/change_form.html"
    readonly_fields = ("status_badge", "progress", "outcome", "filter_described")
    fields = (
        "status_badge",
        "outcome",
        "progress",
        "filter_described",
        "created_by",
        "created_at",
        "started_at",
        "finished_at",
        "cancelled_by",
    )

    def has_view_permission(self, request: HttpRequest, obj: BulkRetryJob | None = None) -> bool:
        return request.user.has_perm(RETRY_PERMISSION) or super().has_view_permission(request, obj)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # started from a filtered delivery list

    def has_change_permission(self, request: HttpRequest, obj: BulkRetryJob | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: BulkRetryJob | None = None) -> bool:
        return False

    @admin.display(description="filter")
    def filter_summary(self, obj: BulkRetryJob) -> str:
        return console_filters_describe(obj.filters)

    @admin.display(description="status")
    def status_badge(self, obj: BulkRetryJob) -> SafeString:
        return status_badge(obj.status, obj.get_status_display())

    @admin.display(description="progress")
    def progress(self, obj: BulkRetryJob) -> str:
        share = round(100 * obj.processed / obj.total) if obj.total else 100
        return f"{obj.processed} of {obj.total} processed ({share}%), {obj.queued} queued to retry"

    @admin.display(description="outcome")
    def outcome(self, obj: BulkRetryJob) -> str:
        return bulk_retry_job_outcome(job=obj)

    @admin.display(description="filter")
    def filter_described(self, obj: BulkRetryJob) -> SafeString:
        """The saved filter by names, and the deliveries it matches in the log."""
        url = reverse("admin:events_delivery_changelist") + "?" + urlencode({**obj.filters, "status": "failed"})
        return format_html(
            '{} <a href="{}">(see the failed deliveries it matches now)</a>',
            console_filters_describe(obj.filters),
            url,
        )

    def get_urls(self) -> list[URLPattern]:
        cancel = self.admin_site.admin_view(self.cancel_view)
        return [path("<int:job_id>/cancel/", cancel, name="events_bulkretryjob_cancel"), *super().get_urls()]

    def cancel_view(self, request: HttpRequest, job_id: int) -> HttpResponse:
        if request.method != "POST" or not request.user.has_perm(RETRY_PERMISSION):
            raise PermissionDenied
        job = get_object_or_404(BulkRetryJob, pk=job_id)
        if bulk_retry_job_cancel(job=job, user=request.user):
            self.log_change(request, job, "Cancelled")
            self.message_user(request, "Bulk retry cancelled; deliveries already queued still go out.")
        else:
            self.message_user(request, "This bulk retry had already finished.", messages.WARNING)
        return redirect("admin:events_bulkretryjob_change", job.pk)
