"""Segment HTTP Tracking API: the settings every Segment-bound kind shares, and the batch sender.

Messages go to ``/v1/batch`` with HTTP Basic auth (write key as user name, empty password), which
keeps the write key out of the stored request body. Deliveries due together to one source are
merged into one batch (``segment_merge``). Limits: 32 KB per message, 500 KB per batch,
``messageId`` under 100 characters (spec/segment-air.md §2.3).
"""

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from connectors.kinds.base import (
    ConnectorConfig,
    FieldType,
    MergedRequest,
    OutboundRequest,
    PreparedRequest,
    SettingField,
)

REGION_HOSTS = {
    "US": "https://api.segment.io",
    "EU": "https://events.eu1.segmentapis.com",
}
MAX_MESSAGE_BYTES = 32 * 1024
MAX_BATCH_BYTES = 500 * 1024
MAX_MESSAGE_ID_CHARS = 99
# Room left in a batch for the envelope and sentAt that prepare adds.
_BATCH_ENVELOPE_BYTES = 256

SEGMENT_FIELDS = (
    SettingField(
        "segment_write_key",
        "Segment write key",
        FieldType.SECRET,
        help_text="Segment → Connections → Sources → your HTTP API source → Settings → API keys.",
    ),
    SettingField(
        "segment_region",
        "Segment region",
        FieldType.CHOICE,
        default="US",
        choices=(("US", "US (api.segment.io)"), ("EU", "EU (events.eu1.segmentapis.com)")),
        help_text="An EU workspace's write key only works with the EU host.",
    ),
    SettingField(
        "segment_base_url",
        "Segment API base URL (override)",
        FieldType.URL,
        required=False,
        help_text="Leave blank to use the region's host. Set it for a proxy or the sandbox.",
    ),
)


class MessageTooLarge(ValueError):
    pass


def segment_base_url(config: ConnectorConfig) -> str:
    override = config.settings.get("segment_base_url")
    return (override or REGION_HOSTS[config.settings.get("segment_region", "US")]).rstrip("/")


def _size(message: dict[str, Any]) -> int:
    return len(json.dumps(message, separators=(",", ":")).encode())


def segment_batches(messages: list[dict[str, Any]], *, config: ConnectorConfig, key: str) -> list[OutboundRequest]:
    """Pack messages into as few ``/v1/batch`` requests as the 500 KB limit allows.

    Raises MessageTooLarge naming the message when one alone is over Segment's 32 KB.
    """
    url = f"{segment_base_url(config)}/v1/batch"
    batches: list[list[dict[str, Any]]] = []
    current: list[dict[str, Any]] = []
    current_size = _BATCH_ENVELOPE_BYTES
    for message in messages:
        size = _size(message)
        if size > MAX_MESSAGE_BYTES:
            name = message.get("event") or message.get("type")
            raise MessageTooLarge(f"Segment message {name!r} is {size} bytes, over Segment's 32 KB limit")
        if current and current_size + size + 1 > MAX_BATCH_BYTES:
            batches.append(current)
            current, current_size = [], _BATCH_ENVELOPE_BYTES
        current.append(message)
        current_size += size + 1
    if current:
        batches.append(current)
    return [
        OutboundRequest(
            destination="segment",
            method="POST",
            url=url,
            body={"batch": batch},
            idempotency_key=key if len(batches) == 1 else f"{key}#{index}",
        )
        for index, batch in enumerate(batches)
    ]


@dataclass
class _Packing:
    size: int
    parts: list[int] = field(default_factory=list)


def _mergeable(request: OutboundRequest) -> bool:
    body = request.body
    return (
        request.destination == "segment"
        and request.url.endswith("/v1/batch")
        and isinstance(body, dict)
        and isinstance(body.get("batch"), list)
    )


def segment_merge(requests: Sequence[OutboundRequest]) -> list[MergedRequest]:
    """Concatenate ``/v1/batch`` bodies into as few batches as the 500 KB limit allows.

    Only bodies whose other keys (a batch-level context or integrations) are equal share a batch,
    so none of those is lost; a body is never split, and anything else is sent alone. The merged
    request keeps the first one's idempotency key: Segment dedupes each message by its messageId.
    """
    done: list[MergedRequest] = []
    packing: dict[tuple[str, str, str], _Packing] = {}

    def close(key: tuple[str, str, str]) -> None:
        parts = packing.pop(key).parts
        if len(parts) == 1:
            done.append(MergedRequest(requests[parts[0]], (parts[0],)))
            return
        first = requests[parts[0]]
        batch = [message for index in parts for message in requests[index].body["batch"]]
        body = {**first.body, "batch": batch}
        done.append(MergedRequest(
            OutboundRequest(first.destination, first.method, first.url, body, first.idempotency_key),
            tuple(parts),
        ))

    for index, request in enumerate(requests):
        if not _mergeable(request):
            done.append(MergedRequest(request, (index,)))
            continue
        others = {name: value for name, value in request.body.items() if name != "batch"}
        key = (request.method, request.url, json.dumps(others, sort_keys=True))
        size = _size(request.body["batch"])
        if key in packing and packing[key].size + size > MAX_BATCH_BYTES:
            close(key)
        if key not in packing:
            packing[key] = _Packing(size=_BATCH_ENVELOPE_BYTES + _size({**others, "batch": []}))
        packing[key].size += size
        packing[key].parts.append(index)
    for key in list(packing):
        close(key)
    return sorted(done, key=lambda merged: merged.parts[0])


def segment_prepare(request: OutboundRequest, config: ConnectorConfig) -> PreparedRequest:
    write_key = config.secrets["segment_write_key"]
    body = {**request.body, "sentAt": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")}
    token = base64.b64encode(f"{write_key}:".encode()).decode()
    return PreparedRequest(
        method=request.method,
        url=request.url,
        headers={"Content-Type": "application/json", "Authorization": f"Basic {token}"},
        body=json.dumps(body, separators=(",", ":")).encode(),
    )
