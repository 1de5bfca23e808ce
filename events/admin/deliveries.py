from datetime import datetime

from django.contrib import admin, messages
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.safestring import SafeString

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
from events.console.log import (
    bulk_retry_count,
    bulk_retry_job_create,
    deliveries_search,
)
from events.console.params import console_filters_describe, console_params, console_params_check
from events.models import Delivery, Event


def _short_time(moment: datetime | None) -> str | None:
    """"30 Nov 09:02:15" (the platform's time zone, UTC by default); the page shows the year."""
    return timezone.localtime(moment).strftime("%d %b %H:%M:%S") if moment else None


def _retry(delivery: Delivery, user: User | AnonymousUser) -> str:
    queued = deliveries_retry_now(delivery_ids=[delivery.pk], user=user)
    return "Retry now: queued." if queued else "Retry now: not queued (its status changed meanwhile)."


def _cancel(delivery: Delivery, user: User | AnonymousUser) -> str:
    cancelled = deliveries_cancel(delivery_ids=[delivery.pk], user=user)
    return "Cancelled." if cancelled else "Not cancelled (its status changed meanwhile)."


def _replay(delivery: Delivery, user: User | AnonymousUser) -> str:
    created = event_replay(event=delivery.event, user=user)
    return f"Its event replayed with the current mapping rules: {len(created)} new deliveries."


DELIVERY_ACTIONS: tuple[ObjectAction[Delivery], ...] = (
    ObjectAction(
        name="retry",
        label="Retry now",
        question="Retry delivery {obj.pk} now?",
        explanation="The same request is sent again now, whatever its schedule; the attempt records "
        "that you asked for it.",
        applies=lambda d: d.status in RETRYABLE_BY_HAND and d.connector.state != Connector.State.DISABLED,
        run=_retry,
    ),
    ObjectAction(
        name="replay",
        label="Replay its event",
        question="Replay the event of delivery {obj.pk} with the current mapping rules?",
        explanation="The event is translated again with the rules in force now and sent as new "
        "deliveries; this delivery stays in the log, and the new one says it replays it.",
        applies=lambda d: d.event.status != Event.Status.REFUSED,
        run=_replay,
    ),
    ObjectAction(
        name="cancel",
        label="Cancel",
        question="Cancel delivery {obj.pk}?",
        explanation="It is not sent again. The attempts made so far stay in the log.",
        applies=lambda d: d.status in CANCELLABLE,
        run=_cancel,
    ),
)


@admin.register(Delivery)
class DeliveryAdmin(LogAdmin[Delivery]):
    list_display = (
        "id",
        "status_badge",
        "destination",
        "connector",
        "event_link",
        "identity",
        "attempts_short",
        "code",
        "next_attempt",
        "created",
    )
    list_display_links = ("id",)
    list_filter = (
        filters.StatusFilter,
        filters.StatusCodeFilter,
        filters.ClientFilter,
        filters.ConnectorFilter,
        filters.DirectionFilter,
        filters.DestinationFilter,
        filters.EventTypeFilter,
        filters.PeriodFilter,
        filters.TimeRangeFilter,
    )
    list_select_related = ("connector__client", "event")
    search_fields = ("idempotency_key",)
    search_help_text = SEARCH_HELP
    ordering = ("-created_at",)
    actions = ("retry_now", "cancel", "replay")
    object_actions = DELIVERY_ACTIONS
    change_list_template = "admin/events/delivery/change_list.html"
    readonly_fields = ("status_badge", "event_link", "attempt_log_table", "body_formatted", "result_formatted")
    fieldsets = (
        (None, {"fields": ("status_badge", "event_link", "connector", "destination", "method", "url")}),
        (
            "Progress",
            {"fields": ("attempts", "last_status_code", "last_error", "next_attempt_at", "delivered_at")},
        ),
        (
            "Request",
            {"fields": ("idempotency_key", "body_formatted", "result_formatted", "notes", "replay_of", "created_at")},
        ),
        ("Attempts", {"fields": ("attempt_log_table",)}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Delivery]:
        # The list never shows the bodies: leave the large columns in the database.
        return super().get_queryset(request).defer("body", "result", "event__payload", "event__context")

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Delivery], search_term: str
    ) -> tuple[QuerySet[Delivery], bool]:
        return deliveries_search(queryset=queryset, term=search_term), False

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj: Delivery) -> SafeString:
        return status_badge(obj.status, obj.get_status_display())

    @admin.display(description="event")
    def event_link(self, obj: Delivery) -> SafeString:
        url = reverse("admin:events_event_change", args=[obj.event_id])
        return format_html('<a href="{}">{}</a>', url, obj.event.event_type)

    @admin.display(description="identity")
    def identity(self, obj: Delivery) -> str:
        return obj.event.identity

    # Short headings and dates, so the list fits a 1366 px screen beside its filters.
    @admin.display(description="tries", ordering="attempts")
    def attempts_short(self, obj: Delivery) -> int:
        return obj.attempts

    @admin.display(description="code", ordering="last_status_code")
    def code(self, obj: Delivery) -> int | None:
        return obj.last_status_code

    @admin.display(description="next attempt", ordering="next_attempt_at")
    def next_attempt(self, obj: Delivery) -> str | None:
        return _short_time(obj.next_attempt_at)

    @admin.display(description="created", ordering="created_at")
    def created(self, obj: Delivery) -> str | None:
        return _short_time(obj.created_at)

    @admin.display(description="body")
    def body_formatted(self, obj: Delivery) -> str:
        if obj.body is None:
            return "Removed by retention; the metadata is kept."
        return json_block(obj.body, summary="What is sent")

    @admin.display(description="result")
    def result_formatted(self, obj: Delivery) -> str:
        if obj.result is None:
            return "Nothing kept."
        return json_block(obj.result, summary="What the destination answered that is kept")

    @admin.display(description="attempts")
    def attempt_log_table(self, obj: Delivery) -> str:
        from django.template.loader import render_to_string

        return render_to_string("admin/events/attempts.html", {"attempts": obj.attempt_log.all()})

    @admin.action(description="Retry now", permissions=["retry"])
    def retry_now(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        deliveries = list(queryset)
        queued = deliveries_retry_now(delivery_ids=[d.pk for d in deliveries], user=request.user)
        self.log_support_action(request, deliveries, "Retry now requested")
        self.message_user(request, f"{queued} of {len(deliveries)} deliveries queued to retry now.")

    @admin.action(description="Cancel pending or retrying deliveries", permissions=["retry"])
    def cancel(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        deliveries = list(queryset)
        cancelled = deliveries_cancel(delivery_ids=[d.pk for d in deliveries], user=request.user)
        self.log_support_action(request, deliveries, "Cancelled")
        self.message_user(request, f"{cancelled} of {len(deliveries)} deliveries cancelled.")

    @admin.action(description="Replay their events with the current mapping rules", permissions=["retry"])
    def replay(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        events = list(Event.objects.filter(pk__in=queryset.values("event_id")).select_related("connector"))
        created = sum(len(event_replay(event=event, user=request.user)) for event in events)
        self.log_support_action(request, events, "Replayed with the current mapping rules")
        self.message_user(request, f"{len(events)} events replayed: {created} new deliveries.")

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "bulk-retry/",
                self.admin_site.admin_view(self.bulk_retry_view),
                name="events_delivery_bulk_retry",
            ),
            *super().get_urls(),
        ]

    def bulk_retry_view(self, request: HttpRequest) -> HttpResponse:
        """Show how many failed deliveries the list's filter matches; on confirm, start the job.
        A filter the job could not replay exactly (one the console does not know, or a refused
        value) starts nothing: the list is shown again, saying which."""
        if not self.has_retry_permission(request):
            raise PermissionDenied
        source = request.POST if request.method == "POST" else request.GET
        # The stubs type a QueryDict's items as possibly lists; each is its last value, a str.
        params, unknown = console_params(
            {k: v for k, v in source.items() if k != "csrfmiddlewaretoken"}  # type: ignore[misc]
        )
        refused = console_params_check(params=params, statuses=Delivery.Status.values)
        if params.get("status", Delivery.Status.FAILED) != Delivery.Status.FAILED:
            refused["status"] = "A bulk retry retries failed deliveries: filter the list by status Failed, or by none."
        if unknown or refused:
            for name in unknown:
                self.message_user(
                    request, f"The filter {name} cannot be saved for a bulk retry; nothing was started.", messages.ERROR
                )
            for message in refused.values():
                self.message_user(request, message, messages.ERROR)
            return redirect(reverse("admin:events_delivery_changelist") + f"?{source.urlencode()}")
        description = console_filters_describe(params)
        if request.method == "POST":
            job = bulk_retry_job_create(filters=params, description=description, user=request.user)
            # The stubs tie log_addition to this admin's model; the history takes any row.
            message = f"Bulk retry of {job.total} failed deliveries ({description})"
            self.log_addition(request, job, message)  # type: ignore[arg-type]
            self.message_user(
                request, f"Bulk retry started for {job.total} failed deliveries.", messages.SUCCESS
            )
            return redirect("admin:events_bulkretryjob_change", job.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Retry all failed deliveries matching this filter",
            "count": bulk_retry_count(filters=params),
            "params": params,
            "description": description,
            "list_url": reverse("admin:events_delivery_changelist") + f"?{urlencode(params)}",
        }
        return TemplateResponse(request, "admin/events/delivery/bulk_retry.html", context)
