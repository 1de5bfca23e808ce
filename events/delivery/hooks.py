"""Where the pipeline hands over to the reward ledger (the rewards app owns what it records).

Rewards are requested by inbound ``services/trigger`` events delivered to AIR, and confirmed by
the SERVICE.TRIGGER notification AIR sends back on the outbound side.
"""

from typing import Any

from connectors.kinds.air_segment.inbound import trigger_window_key
from connectors.kinds.base import Direction, FieldError, IncomingEvent
from connectors.models import Connector
from events.models import Delivery, Event
from rewards.services import (
    reward_follow_up_link,
    reward_outcome_record,
    reward_request_record,
    trigger_references_check,
    trigger_window_claim,
)

REWARD_REQUEST = "services/trigger"
REWARD_DESTINATION = "air"
REWARD_NOTIFICATION = "SERVICE.TRIGGER"


def validate(*, connector: Connector, incoming: IncomingEvent) -> list[FieldError]:
    if incoming.event_type != REWARD_REQUEST:
        return []
    references = list(incoming.context.get("trigger_references") or [])
    unknown = set(trigger_references_check(connector=connector, references=references))
    return [
        FieldError(f"body.triggers[{index}].reference", f"Unknown trigger reference {reference!r} for this connector")
        for index, reference in enumerate(references)
        if reference in unknown
    ]


def _same_triggers(context: dict[str, Any], other: dict[str, Any]) -> bool:
    return context.get("identity_value") == other.get("identity_value") and sorted(
        set(context.get("trigger_references") or [])
    ) == sorted(set(other.get("trigger_references") or []))


def _stored_under_reference(event: Event) -> str:
    """Why ``event`` repeats a trigger stored while the source id was Segment's reference alone."""
    reference = (event.context or {}).get("wallet_transaction_reference")
    if not reference:
        return ""
    earlier = (
        Event.objects.filter(
            connector=event.connector, direction=Direction.IN, event_type=REWARD_REQUEST, source_event_id=reference
        )
        .only("public_id", "context")
        .first()
    )
    if earlier is None or not _same_triggers(event.context, earlier.context or {}):
        return ""
    return (
        f"A repeat of event {earlier.public_id}: the same wallet transaction reference, identity and triggers "
        "(a Segment retry); not sent again."
    )


def _within_window(event: Event) -> str:
    """Why ``event`` falls in its connector's "same identity and triggers count once" window."""
    seconds = int(event.connector.settings.get("trigger_dedupe_window_seconds") or 0)
    if seconds <= 0:
        return ""
    context = event.context or {}
    window = trigger_window_claim(
        connector=event.connector,
        key=trigger_window_key(identity=context["identity_value"], triggers=context["trigger_references"]),
        seconds=seconds,
        now=event.received_at,
        event_public_id=event.public_id,
    )
    if window is None:
        return ""
    return (
        f"Counted once: event {window.counted_event} sent the same identity and triggers, and this connector "
        f"counts them once within {seconds} s (until {window.counted_until:%Y-%m-%d %H:%M:%S} UTC); not sent."
    )


def repeat_suppress(*, event: Event) -> bool:
    """Whether an inbound trigger about to be stored repeats one already sent; if so it is marked
    ignored with the reason, to be stored with nothing to send and answered as a duplicate.

    Called inside the transaction that stores the event, before its insert, so what it claims is
    undone if the insert finds the event is a duplicate itself.
    """
    if (event.direction, event.event_type, event.status) != (
        Direction.IN,
        REWARD_REQUEST,
        Event.Status.TRANSLATED,
    ):
        return False
    reason = _stored_under_reference(event) or _within_window(event)
    if not reason:
        return False
    event.status = Event.Status.IGNORED
    event.error = reason
    return True


def on_event_stored_wanted(*, direction: str, event_type: str) -> bool:
    """Whether ``on_event_stored`` has anything to record for such an event."""
    return (direction, event_type) in ((Direction.IN, REWARD_REQUEST), (Direction.OUT, REWARD_NOTIFICATION))


def on_event_stored(*, event: Event, deliveries: list[Delivery]) -> None:
    if event.direction == Direction.IN and event.event_type == REWARD_REQUEST:
        for delivery in deliveries:
            if delivery.destination == REWARD_DESTINATION:
                reward_request_record(event=event, delivery=delivery)
    elif event.direction == Direction.OUT and event.event_type == REWARD_NOTIFICATION:
        reward_follow_up_link(event=event)


def on_delivery_finished(*, delivery: Delivery, succeeded: bool, reason: str, result: dict[str, Any] | None) -> None:
    if delivery.destination == REWARD_DESTINATION:
        reward_outcome_record(delivery=delivery, succeeded=succeeded, reason=reason, result=result)
