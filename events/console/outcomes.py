"""What became of an event, in one word support can act on: delivered, retrying, failed, held,
ignored, with the count of each when the event made several deliveries.

An event's own status says how it was received ("translated" only means requests were built);
its outcome is decided by its deliveries. It is computed for the rows on screen (one grouped
query over the deliveries of at most a page of events, by the delivery's event index), not
stored: nothing else has to keep a copy in step with every retry, cancel, pause and replay.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef

from events.models import Delivery, Event

# Delivery statuses by what support does about them, the most urgent first: an event's outcome
# is its most urgent delivery's.
DELIVERY_OUTCOMES = (
    ("failed", "Failed", (Delivery.Status.FAILED,)),
    ("retrying", "Retrying", (Delivery.Status.RETRYING,)),
    ("held", "Held", (Delivery.Status.HELD,)),
    ("sending", "Sending", (Delivery.Status.PENDING, Delivery.Status.DELIVERING)),
    ("cancelled", "Cancelled", (Delivery.Status.CANCELLED,)),
    ("delivered", "Delivered", (Delivery.Status.SUCCEEDED,)),
)
_OUTCOME_OF_STATUS = {status: key for key, _, statuses in DELIVERY_OUTCOMES for status in statuses}
_LABELS = {key: label for key, label, _ in DELIVERY_OUTCOMES}

# Events that made no delivery, by their own status.
_WITHOUT_DELIVERY: dict[str, tuple[str, str]] = {
    Event.Status.IGNORED: ("ignored", "Ignored"),
    Event.Status.FAILED: ("failed", "Failed: nothing sent"),
    Event.Status.REFUSED: ("refused", "Refused"),
    Event.Status.ACCEPTED: ("sending", "Received"),
    Event.Status.TRANSLATED: ("ignored", "Nothing to send"),
}


@dataclass(frozen=True)
class EventOutcome:
    key: str  # a badge colour: failed, retrying, held, sending, cancelled, delivered, ignored, refused
    label: str
    # (outcome key, how many deliveries) in urgency order; empty when the event made none.
    counts: tuple[tuple[str, int], ...] = ()

    @property
    def summary(self) -> str:
        """"1 failed · 3 delivered" when there are several deliveries; "" for one or none."""
        if sum(n for _, n in self.counts) < 2:
            return ""
        return " · ".join(f"{n} {_LABELS[key].lower()}" for key, n in self.counts)


def events_outcomes(*, events: Iterable[Event]) -> dict[int, EventOutcome]:
    """The outcome of each event given, by id. A delivery that was replayed is left out: its
    replay (a delivery of the same event) stands for it."""
    events = list(events)
    replayed = Delivery.objects.filter(replay_of=OuterRef("pk"))
    rows = (
        Delivery.objects.filter(event_id__in=[event.pk for event in events])
        .filter(~Exists(replayed))
        .order_by()
        .values_list("event_id", "status")
        .annotate(n=Count("id"))
    )
    per_event: dict[int, dict[str, int]] = {}
    for event_id, status, n in rows:
        key = _OUTCOME_OF_STATUS[status]
        counts = per_event.setdefault(event_id, {})
        counts[key] = counts.get(key, 0) + n
    return {event.pk: _outcome(event, per_event.get(event.pk)) for event in events}


def _outcome(event: Event, counts: dict[str, int] | None) -> EventOutcome:
    if not counts:
        key, label = _WITHOUT_DELIVERY[event.status]
        return EventOutcome(key=key, label=label)
    ordered = tuple((key, counts[key]) for key, _, _ in DELIVERY_OUTCOMES if key in counts)
    worst = ordered[0][0]
    return EventOutcome(key=worst, label=_LABELS[worst], counts=ordered)
