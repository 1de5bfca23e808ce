import json

from django.contrib import admin
from django.utils.html import format_html

from events.admin import filters
from events.admin.base import LogAdmin, status_badge
from events.models import Event
from events.services.actions import event_replay
from events.services.console import event_chain, events_search


@admin.register(Event)
class EventAdmin(LogAdmin):
    list_display = (
        "received_at",
        "status_badge",
        "event_type",
        "direction",
        "connector",
        "identity",
        "source_event_id",
        "duplicate_count",
    )
    list_display_links = ("received_at", "event_type")
    list_filter = (
        filters.StatusFilter,
        filters.ClientFilter,
        filters.ConnectorFilter,
        filters.DirectionFilter,
        filters.EventTypeFilter,
        filters.PeriodFilter,
        filters.TimeRangeFilter,
    )
    list_select_related = ("connector__client",)
    search_fields = ("source_event_id",)
    search_help_text = (
        "An exact identity value, Segment messageId, AIR event id, "
        "wallet transaction reference or event UUID."
    )
    ordering = ("-received_at",)
    actions = ("replay",)
    change_form_template = "admin/events/event/change_form.html"
    readonly_fields = ("status_badge", "payload_formatted", "context_formatted")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "status_badge",
                    "error",
                    "connector",
                    "direction",
                    "event_type",
                    "source_event_id",
                    "identity",
                    "public_id",
                )
            },
        ),
        (
            "Times",
            {"fields": ("occurred_at", "received_at", "duplicate_count", "last_duplicate_at", "replayed_at")},
        ),
        ("What came in", {"fields": ("payload_formatted", "context_formatted")}),
    )

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.resolver_match and request.resolver_match.url_name.endswith("changelist"):
            return queryset.defer("payload", "context")
        return queryset

    def get_search_results(self, request, queryset, search_term):
        return events_search(queryset=queryset, term=search_term), False

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj):
        return status_badge(obj.status, obj.get_status_display())

    @admin.display(description="raw payload")
    def payload_formatted(self, obj):
        if obj.payload is None:
            return "Removed by retention; the metadata is kept."
        return _json_details("Show the payload", obj.payload)

    @admin.display(description="parsed context")
    def context_formatted(self, obj):
        return _json_details("Show the context", obj.context, open_=True)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        event = self.get_object(request, object_id)
        extra_context = {**(extra_context or {}), "chain": event_chain(event=event) if event else None}
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.action(description="Replay with the current mapping rules", permissions=["retry"])
    def replay(self, request, queryset):
        events = list(queryset.select_related("connector"))
        created = sum(len(event_replay(event=event, user=request.user)) for event in events)
        self.log_support_action(request, events, "Replayed with the current mapping rules")
        self.message_user(request, f"{len(events)} events replayed: {created} new deliveries.")


def _json_details(summary: str, value, *, open_: bool = False):
    return format_html(
        '<details{}><summary>{}</summary><pre style="white-space:pre-wrap">{}</pre></details>',
        " open" if open_ else "",
        summary,
        json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False),
    )
