"""Voucherify ⇄ Segment.

- ``in`` (Segment → Voucherify): Segment Spec messages become customer upserts and custom events on
  Voucherify's public API, authenticated with ``X-App-Id``/``X-App-Token``
  (:mod:`connectors.kinds.voucherify_segment.inbound`).
- ``out`` (Voucherify → Segment): signed Voucherify webhooks become Segment track calls through the
  connector's mapping rules (:mod:`connectors.kinds.voucherify_segment.webhook`,
  :mod:`connectors.kinds.voucherify_segment.outbound`).
"""

import json
from collections.abc import Mapping
from typing import Any

from connectors.kinds.base import (
    ConnectorConfig,
    Direction,
    IncomingEvent,
    Kind,
    OutboundRequest,
    Outcome,
    OutcomeKind,
    PreparedRequest,
    Translation,
)
from connectors.kinds.segment import segment_merge, segment_prepare
from connectors.kinds.segment_spec import segment_events_parse
from connectors.kinds.voucherify_segment.fields import FIELDS
from connectors.kinds.voucherify_segment.inbound import voucherify_inbound_build
from connectors.kinds.voucherify_segment.outbound import DEFAULT_RULES, voucherify_outbound_build
from connectors.kinds.voucherify_segment.samples import IN_SAMPLES, OUT_SAMPLES
from connectors.kinds.voucherify_segment.webhook import voucherify_signature_verify, voucherify_webhook_parse


def voucherify_parse(direction: Direction, payload: Any, config: ConnectorConfig) -> list[IncomingEvent]:
    if direction is Direction.OUT:
        return voucherify_webhook_parse(payload)
    return segment_events_parse(payload)


def voucherify_build(
    direction: Direction, event: IncomingEvent, messages: list[dict], config: ConnectorConfig
) -> Translation:
    if direction is Direction.OUT:
        return voucherify_outbound_build(event, messages, config)
    return voucherify_inbound_build(event, config)


def voucherify_prepare(request: OutboundRequest, config: ConnectorConfig) -> PreparedRequest:
    if request.destination == "segment":
        return segment_prepare(request, config)
    return PreparedRequest(
        method=request.method,
        url=request.url,
        headers={
            "Content-Type": "application/json",
            "Accept": "application/json",
            "X-App-Id": str(config.settings["voucherify_app_id"]),
            "X-App-Token": config.secrets["voucherify_app_token"],
        },
        body=json.dumps(request.body, separators=(",", ":")).encode(),
    )


def _voucherify_error(body: bytes) -> str:
    """Voucherify's error body is ``{code, key, message, details, request_id}``."""
    try:
        answer = json.loads(body or b"null")
    except ValueError:
        return body.decode("utf-8", "replace").strip()[:300]
    if not isinstance(answer, dict):
        return ""
    parts = [str(answer[key]) for key in ("key", "message", "details") if answer.get(key)]
    return ": ".join(parts)[:300]


def voucherify_interpret(
    request: OutboundRequest, status: int, headers: Mapping[str, str], body: bytes
) -> Outcome | None:
    if request.destination != "voucherify" or status < 400 or status >= 500 or status in (408, 425, 429):
        return None
    detail = _voucherify_error(body)
    if status == 401:
        reason = (
            "Voucherify refused the application id or secret key. Keys work only on their own project's "
            "region: check the API endpoint setting too."
        )
    elif status == 404 and request.url.endswith("/v1/events"):
        reason = (
            "Voucherify could not find what this custom event refers to: is the event defined in "
            "Project Settings → Event Schema?"
        )
    else:
        reason = f"Voucherify refused the request (HTTP {status})."
    return Outcome(OutcomeKind.TERMINAL, f"{reason} Voucherify said: {detail}" if detail else reason)


KIND = Kind(
    key="voucherify_segment",
    label="Voucherify ⇄ Segment",
    description="Segment → Voucherify: identify calls create or update customers (with schema-checked "
    "metadata), track/page/screen calls become custom events, group calls are kept in customer metadata. "
    "Voucherify → Segment: signed Voucherify webhooks for redemptions, rewards, loyalty points, validations, "
    "publications and segment changes become Segment track calls for the customer's source_id.",
    fields=FIELDS,
    parse=voucherify_parse,
    build=voucherify_build,
    prepare=voucherify_prepare,
    interpret=voucherify_interpret,
    default_rules={Direction.OUT: DEFAULT_RULES},
    authenticate={Direction.OUT: voucherify_signature_verify},
    samples={Direction.IN: IN_SAMPLES, Direction.OUT: OUT_SAMPLES},
    merge=segment_merge,
)
