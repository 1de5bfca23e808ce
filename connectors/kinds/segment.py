"""Segment HTTP Tracking API: the settings every Segment-bound kind shares, and the batch sender.

Messages go to ``/v1/batch`` with HTTP Basic auth (write key as user name, empty password), which
keeps the write key out of the stored request body. Limits: 32 KB per message, 500 KB per batch,
``messageId`` under 100 characters (spec/segment-air.md §2.3).
"""

import base64
import json
from datetime import UTC, datetime

from connectors.kinds.base import (
    ConnectorConfig,
    FieldType,
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


def _size(message: dict) -> int:
    return len(json.dumps(message, separators=(",", ":")).encode())


def segment_batches(messages: list[dict], *, config: ConnectorConfig, key: str) -> list[OutboundRequest]:
    """Pack messages into as few ``/v1/batch`` requests as the 500 KB limit allows.

    Raises MessageTooLarge naming the message when one alone is over Segment's 32 KB.
    """
    url = f"{segment_base_url(config)}/v1/batch"
    batches: list[list[dict]] = []
    current: list[dict] = []
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
