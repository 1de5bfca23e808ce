"""Voucherify → Segment: the messages the mapping rules produced, completed and batched.

The default rules (``default_rules.json``) send each customer event Voucherify lists for Segment
(seed 001) and the segment entered/left distribution events (seed 004) as a track call named as
Voucherify's own Segment source names them ("Customer Redemption Succeeded", …), with
``userId`` = the customer's ``source_id`` and the flattened objects of the webhook as properties.

Each message gets ``messageId`` = the webhook's envelope id (``-<n>`` appended when a rule emits
several), ``timestamp`` = the event's ``created_at`` and ``context.library`` (this product's name and
``settings.VERSION``). Voucherify sends only events
tied to a customer, and so does this connector.
"""

import hashlib
import json
from pathlib import Path
from typing import Any

from django.conf import settings

from connectors.kinds.base import ConnectorConfig, IncomingEvent, Translation
from connectors.kinds.segment import MAX_MESSAGE_ID_CHARS, MessageTooLarge, segment_batches

LIBRARY_NAME = "ee-connect"
DEFAULT_RULES: list[dict] = json.loads((Path(__file__).parent / "default_rules.json").read_text())


def voucherify_library() -> dict[str, str]:
    """``context.library`` of every message sent to Segment: this product and its release."""
    return {"name": LIBRARY_NAME, "version": settings.VERSION}


def _message_id(base: str, index: int, count: int) -> str:
    message_id = base if count == 1 else f"{base}-{index}"
    if len(message_id) > MAX_MESSAGE_ID_CHARS:
        message_id = "vf-" + hashlib.sha256(message_id.encode()).hexdigest()
    return message_id


def _complete(message: dict, *, context: dict, message_id: str) -> dict[str, Any]:
    completed = {key: value for key, value in message.items() if value is not None}
    if not completed.get("userId") and not completed.get("anonymousId"):
        completed["userId"] = context["customer_source_id"]
    completed["messageId"] = message_id
    if context["created_at"]:
        completed["timestamp"] = context["created_at"]
    completed["context"] = {**(completed.get("context") or {}), "library": voucherify_library()}
    return completed


def voucherify_outbound_build(
    event: IncomingEvent, messages: list[dict], config: ConnectorConfig
) -> Translation:
    context = event.context
    if not context["customer_source_id"]:
        return Translation(
            ignored=f"This {context['event_type']} event has no customer with a source_id; Voucherify sends "
            "only customer events to Segment, keyed by the customer's source_id."
        )
    if not messages:
        return Translation(
            ignored=f"No enabled mapping rule sends Voucherify {context['event_type']} events."
        )
    base = event.source_event_id or context["webhook_id"]
    completed = [
        _complete(message, context=context, message_id=_message_id(base, index, len(messages)))
        for index, message in enumerate(messages)
    ]
    try:
        requests = segment_batches(completed, config=config, key=f"segment:{base}")
    except MessageTooLarge as too_large:
        return Translation(failed=str(too_large))
    return Translation(requests=requests)
