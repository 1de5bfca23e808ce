"""Where the pipeline hands over to the reward ledger. The rewards app decides what applies."""

from connectors.kinds.base import FieldError, IncomingEvent
from connectors.models import Connector
from events.models import Delivery, Event


def validate(*, connector: Connector, incoming: IncomingEvent) -> list[FieldError]:
    return []


def on_event_stored(*, event: Event, deliveries: list[Delivery]) -> None:
    return None


def on_delivery_finished(*, delivery: Delivery, succeeded: bool, reason: str, result: dict | None) -> None:
    return None
