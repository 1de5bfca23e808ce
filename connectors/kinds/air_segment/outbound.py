"""AIR → Segment: completing the messages the mapping rules produced and packing them in batches.

The rules (``default_rules.json`` unless the connector has its own) decide which calls an event
becomes; this module adds what every Segment call needs and no rule should have to repeat:
a ``messageId`` derived from AIR's ``eesEventId`` (``air-<eesEventId>-<n>``, so AIR redeliveries
and our retries collapse in Segment's deduplication), the event's ``timestamp`` and
``context.library``; and, when the connector's ``send_identify`` is on, one identify call carrying
the loyalty traits (unless the rules already produced one). The raw AIR payload is never forwarded.
"""

from typing import Any

from django.conf import settings

from connectors.kinds.base import ConnectorConfig, IncomingEvent, Translation
from connectors.kinds.segment import MessageTooLarge, segment_batches

LIBRARY_NAME = "ee-connect"


def _library() -> dict[str, str]:
    return {"name": LIBRARY_NAME, "version": getattr(settings, "VERSION", "")}


def _identify(messages: list[dict], user_id: str) -> dict[str, Any]:
    traits = next(
        (message["context"]["traits"] for message in messages if "traits" in message.get("context", {})),
        {},
    )
    return {"type": "identify", "userId": user_id, "traits": dict(traits)}


def notification_build(event: IncomingEvent, messages: list[dict], config: ConnectorConfig) -> Translation:
    if not messages:
        return Translation(ignored=f"No mapping rule for {event.event_type}")
    user_id = event.context.get("user_id")
    if not user_id or any(not message.get("userId") for message in messages):
        identity_type = (
            event.context.get("identity_type") or config.settings.get("identity_type") or "CUSTOMER_ID"
        )
        return Translation(
            failed=f"The notification has no {identity_type} identity, so there is no Segment userId"
        )
    messages = list(messages)
    if config.settings.get("send_identify", True) and not any(m["type"] == "identify" for m in messages):
        messages.insert(0, _identify(messages, user_id))
    timestamp = event.context.get("occurred_at")
    library = _library()
    completed = []
    for number, message in enumerate(messages, start=1):
        message = {
            **message,
            "messageId": f"air-{event.source_event_id}-{number}",
            "context": {**message.get("context", {}), "library": library},
        }
        if timestamp:
            message["timestamp"] = timestamp
        completed.append(message)
    try:
        requests = segment_batches(completed, config=config, key=f"air-{event.source_event_id}")
    except MessageTooLarge as error:
        return Translation(failed=str(error))
    return Translation(requests=requests)
