"""What the delivery-log admins share: read-only, counted without COUNT(*), coloured statuses,
and support actions that require ``events.retry_delivery`` and leave a line in the history."""

from django.contrib import admin
from django.utils.html import format_html

from events.paginators import LargeTablePaginator

RETRY_PERMISSION = "events.retry_delivery"
EXACT_COUNT_PARAM = "exact_count"

BADGE_COLOURS = {
    "succeeded": "#1e7e34",
    "translated": "#1e7e34",
    "completed": "#1e7e34",
    "active": "#1e7e34",
    "accepted": "#0b5ed7",
    "pending": "#0b5ed7",
    "running": "#0b5ed7",
    "delivering": "#0b5ed7",
    "retrying": "#b35c00",
    "held": "#6f42c1",
    "paused": "#6f42c1",
    "failed": "#b02a37",
    "disabled": "#b02a37",
    "cancelled": "#6c757d",
    "ignored": "#6c757d",
}


def status_badge(value: str, label: str):
    colour = BADGE_COLOURS.get(value, "#6c757d")
    return format_html(
        '<span style="background:{};color:#fff;border-radius:10px;padding:2px 8px;'
        'font-size:11px;font-weight:600;white-space:nowrap">{}</span>',
        colour,
        label,
    )


class LogAdmin(admin.ModelAdmin):
    """Read-only: the log is append-only and pruned by retention, never edited by hand."""

    show_full_result_count = False
    paginator = LargeTablePaginator
    list_per_page = 50

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_retry_permission(self, request) -> bool:
        return request.user.has_perm(RETRY_PERMISSION)

    def changelist_view(self, request, extra_context=None):
        # "Exact count" is a request to the paginator, not a filter the changelist knows.
        request.GET = request.GET.copy()
        request.exact_count = request.GET.pop(EXACT_COUNT_PARAM, None) is not None
        return super().changelist_view(request, extra_context)

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        return self.paginator(
            queryset,
            per_page,
            orphans,
            allow_empty_first_page,
            exact=getattr(request, "exact_count", False),
        )

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        changelist.exact_count_url = changelist.get_query_string({EXACT_COUNT_PARAM: "1"})
        return changelist

    def log_support_action(self, request, objects, message: str) -> None:
        for obj in objects:
            self.log_change(request, obj, message)
