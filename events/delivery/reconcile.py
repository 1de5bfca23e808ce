"""Reconciliation: prove, for a time window, that nothing accepted was dropped on the floor.

Every accepted event must be translated (with deliveries), ignored or failed with a reason; every
delivery must be finished (succeeded, failed, cancelled), scheduled (pending or retrying with a
``next_attempt_at``), in flight under a claim, or held because its connector is paused (or its
secrets cannot be decrypted). Anything
else is an orphan: the sweeper would never pick it up and nobody would see it fail.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet

from connectors.models import Connector
from connectors.services import SECRETS_UNREADABLE
from events.models import Delivery, Event

ORPHAN_SAMPLE = 20

EVENT_ORPHANS = (
    (Q(status=Event.Status.ACCEPTED), "Accepted but never translated"),
    (
        Q(status__in=[Event.Status.FAILED, Event.Status.IGNORED], error=""),
        "Failed or ignored without a reason",
    ),
    (Q(status=Event.Status.TRANSLATED, delivery_count=0), "Translated but has no delivery"),
)
DELIVERY_ORPHANS = (
    (Q(status__in=Delivery.DUE_STATUSES, next_attempt_at__isnull=True), "Due but has no next attempt time"),
    (Q(status=Delivery.Status.DELIVERING, claim_expires_at__isnull=True), "Delivering without a claim"),
    (
        Q(status=Delivery.Status.HELD, connector__state=Connector.State.ACTIVE) & ~Q(last_error=SECRETS_UNREADABLE),
        "Held while its connector is active (the sweeper releases it)",
    ),
)


@dataclass(frozen=True)
class Orphan:
    kind: str  # "event" or "delivery"
    id: int
    reason: str


@dataclass(frozen=True)
class ReconcileReport:
    since: datetime
    until: datetime
    events: dict[str, int]
    deliveries: dict[str, int]
    orphans: list[Orphan] = field(default_factory=list)  # at most ORPHAN_SAMPLE of each reason

    @property
    def orphan_count(self) -> int:
        return self.events["orphaned"] + self.deliveries["orphaned"]

    @property
    def clean(self) -> bool:
        return self.orphan_count == 0


def _orphans(
    queryset: QuerySet[Any], rules: tuple[tuple[Q, str], ...], *, kind: str, order: str
) -> tuple[int, list[Orphan]]:
    count = 0
    sample: list[Orphan] = []
    for condition, reason in rules:
        matched = queryset.filter(condition).order_by(order, "id")
        count += matched.count()
        sample += [Orphan(kind, pk, reason) for pk in matched.values_list("id", flat=True)[:ORPHAN_SAMPLE]]
    return count, sample


def _by_status(queryset: QuerySet[Any]) -> dict[str, int]:
    return {row["status"]: row["n"] for row in queryset.order_by().values("status").annotate(n=Count("id"))}


def events_reconcile(*, since: datetime, until: datetime) -> ReconcileReport:
    """Count events received in ``[since, until)`` and their deliveries by state; list orphans."""
    events = Event.objects.filter(received_at__gte=since, received_at__lt=until).annotate(
        delivery_count=Count("deliveries")
    )
    event_status = _by_status(Event.objects.filter(received_at__gte=since, received_at__lt=until))
    event_orphans, event_sample = _orphans(events, EVENT_ORPHANS, kind="event", order="received_at")

    deliveries = Delivery.objects.filter(event__received_at__gte=since, event__received_at__lt=until)
    delivery_status = _by_status(deliveries)
    delivery_orphans, delivery_sample = _orphans(
        deliveries, DELIVERY_ORPHANS, kind="delivery", order="created_at"
    )
    return ReconcileReport(
        since=since,
        until=until,
        events={
            "total": sum(event_status.values()),
            **{status: event_status.get(status, 0) for status in Event.Status.values},
            "orphaned": event_orphans,
        },
        deliveries={
            "total": sum(delivery_status.values()),
            "succeeded": delivery_status.get(Delivery.Status.SUCCEEDED, 0),
            "failed": delivery_status.get(Delivery.Status.FAILED, 0),
            "cancelled": delivery_status.get(Delivery.Status.CANCELLED, 0),
            "scheduled": deliveries.filter(
                status__in=Delivery.DUE_STATUSES, next_attempt_at__isnull=False
            ).count(),
            "in_flight": deliveries.filter(
                status=Delivery.Status.DELIVERING, claim_expires_at__isnull=False
            ).count(),
            "held": delivery_status.get(Delivery.Status.HELD, 0),
            "orphaned": delivery_orphans,
        },
        orphans=event_sample + delivery_sample,
    )
