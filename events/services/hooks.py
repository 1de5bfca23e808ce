"""Where the pipeline hands over to the reward ledger (the rewards app owns what it records).

Rewards are requested by inbound ``services/trigger`` events delivered to AIR, and confirmed by
the SERVICE.TRIGGER notification AIR sends back on the outbound side.
"""

from connectors.kinds.base import Direction, FieldError, IncomingEvent
from connectors.models import Connector
from events.models import Delivery, Event
from rewards.services import (
    reward_follow_up_link,
    reward_outcome_record,
    reward_request_record,
    trigger_references_check,
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


def on_delivery_finished(*, delivery: Delivery, succeeded: bool, reason: str, result: dict | None) -> None:
    if delivery.destination == REWARD_DESTINATION:
        reward_outcome_record(delivery=delivery, succeeded=succeeded, reason=reason, result=result)
