from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from connectors.kinds.base import Direction, PayloadInvalid
from connectors.models import Connector
from events.admin import filters
from events.admin.base import SEARCH_HELP, LogAdmin, ObjectAction, json_block, status_badge
from events.console.actions import (
    CANCELLABLE,
    RETRYABLE_BY_HAND,
    deliveries_cancel,
    deliveries_retry_now,
    event_replay,
)
from events.console.log import event_chain, events_search
from events.console.outcomes import events_outcomes
from events.intake.sample_events import sample_body, sample_send, samples_for
from events.intake.store import Received
from events.models import Delivery, Event

SEND_TEST_URL_NAME = "events_event_send_test"
# The list shows the start of a long sender's id (an AIR id is a UUID and a hash); the page all of it.
SENDER_ID_SHOWN = 28


def _event_retry(event: Event, user: User | AnonymousUser) -> str:
    ids = list(event.deliveries.filter(status__in=RETRYABLE_BY_HAND).values_list("pk", flat=True))
    queued = deliveries_retry_now(delivery_ids=ids, user=user)
    return f"Retry now: {queued} of {len(ids)} deliveries queued."


def _event_cancel(event: Event, user: User | AnonymousUser) -> str:
    ids = list(event.deliveries.filter(status__in=CANCELLABLE).values_list("pk", flat=True))
    return f"Cancelled {deliveries_cancel(delivery_ids=ids, user=user)} deliveries."


def _event_replay(event: Event, user: User | AnonymousUser) -> str:
    created = event_replay(event=event, user=user)
    return f"Replayed with the current mapping rules: {len(created)} new deliveries."


EVENT_ACTIONS: tuple[ObjectAction[Event], ...] = (
    ObjectAction(
        name="retry",
        label="Retry its deliveries now",
        question="Retry the unfinished deliveries of {obj} now?",
        explanation="Its failed, retrying, held and waiting deliveries are sent now, with the request "
        "they were built with. Delivered and cancelled ones are left alone.",
        applies=lambda event: event.deliveries.filter(status__in=RETRYABLE_BY_HAND).exists(),
        run=_event_retry,
    ),
    ObjectAction(
        name="replay",
        label="Replay",
        question="Replay {obj} with the current mapping rules?",
        explanation="The event is translated again with the rules in force now and sent as new "
        "deliveries; the old deliveries stay in the log, each new one says which it replays.",
        applies=lambda event: event.status != Event.Status.REFUSED,
        run=_event_replay,
    ),
    ObjectAction(
        name="cancel",
        label="Cancel its deliveries",
        question="Cancel the unfinished deliveries of {obj}?",
        explanation="Its waiting, retrying and held deliveries are not sent. Delivered ones stay delivered.",
        applies=lambda event: event.deliveries.filter(status__in=CANCELLABLE).exists(),
        run=_event_cancel,
    ),
)


class TestEventForm(forms.Form):
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 28, "cols": 100, "spellcheck": "false", "class": "vLargeTextField"}),
        help_text="Sent exactly as written, as the connector's webhook would receive it.",
    )


@admin.register(Event)
class EventAdmin(LogAdmin[Event]):
    list_display = (
        "received_at",
        "outcome",
        "event_type",
        "direction_short",
        "connector",
        "identity",
        "sender_id",
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
    search_help_text = SEARCH_HELP
    ordering = ("-received_at",)
    actions = ("replay",)
    object_actions = EVENT_ACTIONS
    change_form_template = "admin/events/event/change_form.html"
    readonly_fields = ("outcome", "status_badge", "payload_formatted", "context_formatted")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "outcome",
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

    def get_queryset(self, request: HttpRequest) -> QuerySet[Event]:
        queryset = super().get_queryset(request)
        if request.resolver_match and (request.resolver_match.url_name or "").endswith("changelist"):
            return queryset.defer("payload", "context")
        return queryset

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Event], search_term: str
    ) -> tuple[QuerySet[Event], bool]:
        return events_search(queryset=queryset, term=search_term), False

    def get_changelist_instance(self, request: HttpRequest) -> ChangeList:
        # The outcome of the rows on this page only: one grouped query over their deliveries.
        changelist = super().get_changelist_instance(request)
        rows: list[Event] = list(changelist.result_list)
        outcomes = events_outcomes(events=rows)
        for event in rows:
            # Read back by outcome() below, for each row of this page.
            event.outcome_found = outcomes[event.pk]  # type: ignore[attr-defined]
        return changelist

    @admin.display(description="outcome")
    def outcome(self, obj: Event) -> SafeString:
        found = getattr(obj, "outcome_found", None) or events_outcomes(events=[obj])[obj.pk]
        badge = status_badge(found.key, found.label)
        if not found.summary:
            return badge
        return format_html('{} <span class="ee-outcome-counts">{}</span>', badge, found.summary)

    @admin.display(description="received as", ordering="status")
    def status_badge(self, obj: Event) -> str:
        return obj.get_status_display()

    @admin.display(description="direction", ordering="direction")
    def direction_short(self, obj: Event) -> str:
        return obj.direction

    @admin.display(description="sender's id", ordering="source_event_id")
    def sender_id(self, obj: Event) -> SafeString:
        shown = obj.source_event_id
        if len(shown) > SENDER_ID_SHOWN:
            shown = shown[: SENDER_ID_SHOWN - 1] + "…"
        return format_html('<span title="{}">{}</span>', obj.source_event_id, shown)

    @admin.display(description="payload")
    def payload_formatted(self, obj: Event) -> str:
        if obj.payload is None:
            return "Removed by retention; the metadata is kept."
        return json_block(obj.payload, summary="The payload as received", open_=False)

    @admin.display(description="parsed context")
    def context_formatted(self, obj: Event) -> SafeString:
        return json_block(obj.context, summary="What the mapping rules read")

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        event = self.get_object(request, object_id)
        extra_context = {**(extra_context or {}), "chain": event_chain(event=event) if event else None}
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(self.send_test_view)
        return [
            path("send-test/<int:connector_id>/<str:direction>/", view, name=SEND_TEST_URL_NAME),
            *super().get_urls(),
        ]

    def send_test_view(self, request: HttpRequest, connector_id: int, direction: str) -> HttpResponse:
        """A sample event of the connector's kind, editable, sent through the real pipeline."""
        if not request.user.has_perm("connectors.change_connector"):
            raise PermissionDenied
        connector = get_object_or_404(Connector.objects.select_related("client"), pk=connector_id)
        samples = samples_for(connector, direction)
        if not samples:
            raise Http404("This connector's kind has no sample events for that direction.")
        asked = request.GET.get("sample")
        sample = asked if asked is not None and asked in samples else next(iter(samples))
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
    def replay(self, request: HttpRequest, queryset: QuerySet[Event]) -> None:
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

