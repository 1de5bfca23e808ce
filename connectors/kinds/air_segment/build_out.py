"""AIR → Segment: completing the messages the mapping rules produced and packing them in batches.

The rules (``default_rules.json`` unless the connector has its own) decide which calls an event
becomes; this module adds what every Segment call needs and no rule should have to repeat: a
``messageId`` (``message_id``), the event's ``timestamp`` and ``context.library``; and, when the
connector's ``send_identify`` is on, one identify call carrying the loyalty traits (unless the
rules already produced one). The raw AIR payload is never forwarded. A notification with no
identity of the connector's type has no Segment userId: it is ignored, with that reason.
"""

import hashlib
from typing import Any

from django.conf import settings

from connectors.kinds.base import ConnectorConfig, IncomingEvent, Translation
from connectors.kinds.segment import MessageTooLarge, segment_batches

LIBRARY_NAME = "ee-connect"


def _library() -> dict[str, str]:
    return {"name": LIBRARY_NAME, "version": getattr(settings, "VERSION", "")}


def message_id(*, connector_id: str, notification_key: str, message: dict[str, Any], occurrence: int) -> str:
    """A Segment messageId that is the same for the same message of the same notification, and only then.

    Segment de-duplicates on messageId alone, across every source and workspace, so the id hashes
    the connector with the notification's key (an AIR redelivery or our own retry collapses; the
    same notification forwarded by two connectors does not). Within a notification a message is
    named by its type, event name and its occurrence among messages of that type and name, not by
    its position, so adding a rule or turning the identify off does not shift the ids of the
    others. 44 characters, under Segment's 100.
    """
    name = "\n".join((connector_id, notification_key, message["type"], message.get("event") or "", str(occurrence)))
    return "air-" + hashlib.sha256(name.encode()).hexdigest()[:40]


def _identify(messages: list[dict[str, Any]], user_id: str) -> dict[str, Any]:
    traits: dict[str, Any] = next(
        (message["context"]["traits"] for message in messages if "traits" in message.get("context", {})),
        {},
    )
    return {"type": "identify", "userId": user_id, "traits": dict(traits)}


def notification_build(event: IncomingEvent, messages: list[dict[str, Any]], config: ConnectorConfig) -> Translation:
    if not messages:
        return Translation(ignored=f"No mapping rule for {event.event_type}")
    user_id = event.context.get("user_id")
    if not user_id or any(not message.get("userId") for message in messages):
        identity_type = (
            event.context.get("identity_type") or config.settings.get("identity_type") or "CUSTOMER_ID"
        )
        return Translation(
            ignored=f"The notification has no {identity_type} identity, so there is no Segment userId"
        )
    messages = list(messages)
    if config.settings.get("send_identify", True) and not any(m["type"] == "identify" for m in messages):
        messages.insert(0, _identify(messages, user_id))
    timestamp = event.context.get("occurred_at")
    library = _library()
    completed = []
    occurrences: dict[tuple[str, str], int] = {}
    for message in messages:
        name = (message["type"], message.get("event") or "")
        occurrences[name] = occurrence = occurrences.get(name, 0) + 1
        message = {
            **message,
            "messageId": message_id(
                connector_id=config.connector_id,
                notification_key=event.source_event_id,
                message=message,
                occurrence=occurrence,
            ),
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
