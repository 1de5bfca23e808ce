import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from connectors.kinds.base import Direction, PayloadInvalid
from connectors.models import Connector
from events.admin import filters
from events.admin.base import LogAdmin, status_badge
from events.models import Delivery, Event
from events.services.actions import event_replay
from events.services.console import event_chain, events_search
from events.services.receive import Received
from events.services.sample_events import sample_body, sample_send, samples_for

SEND_TEST_URL_NAME = "events_event_send_test"


class TestEventForm(forms.Form):
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 28, "cols": 100, "spellcheck": "false", "class": "vLargeTextField"}),
        help_text="Sent exactly as written, as the connector's webhook would receive it.",
    )


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

    def get_urls(self):
        view = self.admin_site.admin_view(self.send_test_view)
        return [
            path("send-test/<int:connector_id>/<str:direction>/", view, name=SEND_TEST_URL_NAME),
            *super().get_urls(),
        ]

    def send_test_view(self, request, connector_id, direction):
        """A sample event of the connector's kind, editable, sent through the real pipeline."""
        if not request.user.has_perm("connectors.change_connector"):
            raise PermissionDenied
        connector = get_object_or_404(Connector.objects.select_related("client"), pk=connector_id)
        samples = samples_for(connector, direction)
        if not samples:
            raise Http404("This connector's kind has no sample events for that direction.")
        sample = request.GET.get("sample") if request.GET.get("sample") in samples else next(iter(samples))
        if request.method == "POST":
            form = TestEventForm(request.POST)
        else:
            form = TestEventForm(initial={"body": sample_body(connector=connector, direction=direction, sample=sample)})
        problem = None
        if form.is_bound and form.is_valid():
            try:
                received = sample_send(connector=connector, direction=direction, body=form.cleaned_data["body"])
            except PayloadInvalid as exc:
                problem = exc
            else:
                for item in received:
                    messages.add_message(request, *_test_outcome(item))
                if len(received) == 1:
                    return redirect(reverse("admin:events_event_change", args=[received[0].event.pk]))
                return redirect(reverse("admin:events_event_changelist") + f"?connector={connector.pk}")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Send a test event: {connector}",
            "connector": connector,
            "direction": Direction(direction),
            "samples": list(samples),
            "sample": sample,
            "form": form,
            "problem": problem,
        }
        return TemplateResponse(request, "admin/events/event/send_test.html", context)

    @admin.action(description="Replay with the current mapping rules", permissions=["retry"])
    def replay(self, request, queryset):
        events = list(queryset.select_related("connector"))
        created = sum(len(event_replay(event=event, user=request.user)) for event in events)
        self.log_support_action(request, events, "Replayed with the current mapping rules")
        self.message_user(request, f"{len(events)} events replayed: {created} new deliveries.")


def _test_outcome(item: Received) -> tuple[int, str]:
    """What became of a test event, as a message level and text."""
    event = item.event
    name = f"Test event {event.source_event_id}"
    if item.duplicate:
        return messages.WARNING, f"{name} was received before (a duplicate): nothing new is sent."
    if event.status != Event.Status.TRANSLATED:
        return messages.WARNING, f"{name} is stored as {event.get_status_display().lower()}: {event.error}"
    statuses = list(event.deliveries.values_list("status", flat=True))
    if Delivery.Status.HELD in statuses:
        return messages.WARNING, f"{name}: {len(statuses)} request(s) held while the connector is paused."
    return messages.SUCCESS, f"{name}: {len(statuses)} request(s) queued for delivery; their attempts show below."


def _json_details(summary: str, value, *, open_: bool = False):
    return format_html(
        '<details{}><summary>{}</summary><pre style="white-space:pre-wrap">{}</pre></details>',
        " open" if open_ else "",
        summary,
        json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False),
    )
