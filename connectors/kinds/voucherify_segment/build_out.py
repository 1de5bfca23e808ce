"""Voucherify → Segment: the messages the mapping rules produced, completed and batched.

The default rules (``default_rules.json``) send the customer events Voucherify lists for Segment
(seed 001) that a webhook can carry, and the segment entered/left distribution events (seed 004),
as a track call named as Voucherify's own Segment source names them ("Customer Redemption
Succeeded", …), with ``userId`` = the customer's ``source_id`` and the flattened objects of the
webhook as properties. Seed 001 also lists validation succeeded/failed and publication failed:
those reach Segment only through Voucherify's own Segment source; no project webhook
(``api-reference/project-settings-webhooks.mdx``, its ``type`` values) and no distribution trigger
(``distribution-webhooks.mdx``, its ``event.type`` values) sends them, so no rule waits for them.
Reward redemption created stays: it is a webhook of Voucherify's OpenAPI (``OpenAPIWebhooks.json``,
``EVENTS.CUSTOMER.REWARD_REDEMPTIONS.CREATED``).

A message over Segment's 32 KB limit loses customer metadata, largest value first, until it fits
(the delivery notes each key left out); one still too large without any is failed, naming it.

Each message gets ``messageId`` = the webhook's envelope id (``-<n>`` appended when a rule emits
several), ``timestamp`` = the event's ``created_at`` and ``context.library`` (this product's name and
``settings.VERSION``). Voucherify sends only events
tied to a customer, and so does this connector.
"""

import copy
import hashlib
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from django.conf import settings

from connectors.kinds.base import ConnectorConfig, IncomingEvent, Translation
from connectors.kinds.segment import MAX_MESSAGE_BYTES, MAX_MESSAGE_ID_CHARS, MessageTooLarge, segment_batches

LIBRARY_NAME = "ee-connect"
DEFAULT_RULES: list[dict[str, Any]] = json.loads((Path(__file__).parent / "default_rules.json").read_text())


def voucherify_library() -> dict[str, str]:
    """``context.library`` of every message sent to Segment: this product and its release."""
    return {"name": LIBRARY_NAME, "version": settings.VERSION}


def _message_id(base: str, index: int, count: int) -> str:
    message_id = base if count == 1 else f"{base}-{index}"
    if len(message_id) > MAX_MESSAGE_ID_CHARS:
        message_id = "vf-" + hashlib.sha256(message_id.encode()).hexdigest()
    return message_id


def _complete(message: dict[str, Any], *, context: dict[str, Any], message_id: str) -> dict[str, Any]:
    completed = {key: value for key, value in message.items() if value is not None}
    if not completed.get("userId") and not completed.get("anonymousId"):
        completed["userId"] = context["customer_source_id"]
    completed["messageId"] = message_id
    if context["created_at"]:
        completed["timestamp"] = context["created_at"]
    completed["context"] = {**(completed.get("context") or {}), "library": voucherify_library()}
    return completed


def _size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":")).encode())


def _customers(value: Any, path: str) -> list[tuple[str, dict[str, Any]]]:
    """(path, object) of every customer object in the message (``"object": "customer"``)."""
    found = []
    if isinstance(value, dict):
        if value.get("object") == "customer":
            found.append((path, value))
        for key, item in value.items():
            found += _customers(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _customers(item, f"{path}[{index}]")
    return found


def voucherify_message_trim(message: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The message within Segment's 32 KB, customer metadata (flattened ``metadata_*`` keys) left
    out largest first, and one note per key left out; the message as it was when it fits."""
    size = _size(message)
    if size <= MAX_MESSAGE_BYTES:
        return message, []
    trimmed = copy.deepcopy(message)
    candidates = sorted(
        (
            (_size({key: value}), path, holder, key)
            for path, holder in _customers(trimmed.get("properties"), "properties")
            for key, value in holder.items()
            if key.startswith("metadata_")
        ),
        key=lambda candidate: -candidate[0],
    )
    dropped = []
    for weight, path, holder, key in candidates:
        if size <= MAX_MESSAGE_BYTES:
            break
        del holder[key]
        size = _size(trimmed)
        dropped.append(f"{path}.{key} ({weight:,} bytes)")
    return trimmed, dropped


def voucherify_outbound_build(
    event: IncomingEvent, messages: list[dict[str, Any]], config: ConnectorConfig
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
    completed, dropped = [], []
    for index, message in enumerate(messages):
        trimmed, left_out = voucherify_message_trim(
            _complete(message, context=context, message_id=_message_id(base, index, len(messages)))
        )
        completed.append(trimmed)
        dropped += left_out
    try:
        requests = segment_batches(completed, config=config, key=f"segment:{base}")
    except MessageTooLarge as too_large:
        trimmed_too = ", even with the customer's metadata left out" if dropped else ""
        return Translation(failed=f"{too_large}{trimmed_too}.")
    if dropped:
        note = f"Customer metadata left out to keep the message within Segment's 32 KB: {'; '.join(dropped)}."
        requests = [replace(request, notes=note) for request in requests]
    return Translation(requests=requests)
