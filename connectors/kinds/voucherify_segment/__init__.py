"""Voucherify ⇄ Segment.

- ``in`` (Segment → Voucherify): Segment Spec messages go to the endpoints of Voucherify's Segment
  integration, as Segment's own Voucherify destination sends them
  (:mod:`connectors.kinds.voucherify_segment.inbound`).
- ``out`` (Voucherify → Segment): signed Voucherify webhooks become Segment track calls through the
  connector's mapping rules (:mod:`connectors.kinds.voucherify_segment.webhook`,
  :mod:`connectors.kinds.voucherify_segment.outbound`).
"""

import base64
import json
from collections.abc import Mapping
from typing import Any

from connectors.kinds.base import (
    RETRYABLE_4XX,
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
        return voucherify_webhook_parse(payload, config=config)
    return segment_events_parse(payload)


def voucherify_build(
    direction: Direction, event: IncomingEvent, messages: list[dict[str, Any]], config: ConnectorConfig
) -> Translation:
    if direction is Direction.OUT:
        return voucherify_outbound_build(event, messages, config)
    return voucherify_inbound_build(event, config)


def _base64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def voucherify_prepare(request: OutboundRequest, config: ConnectorConfig) -> PreparedRequest:
    if request.destination == "segment":
        return segment_prepare(request, config)
    # The Segment destination's extendRequest: ``authorization: Basic base64(Application ID)`` (the
    # id alone, no "id:secret" pair) and ``secret-key: base64(Secret Key)``
    # (segmentio/action-destinations ``destinations/voucherify/index.ts``).
    return PreparedRequest(
        method=request.method,
        url=request.url,
        headers={
            "Content-Type": "application/json",
            "Accept": "application/json",
            "authorization": f"Basic {_base64(str(config.settings['voucherify_app_id']))}",
            "secret-key": _base64(config.secrets["voucherify_app_token"]),
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
    if request.destination != "voucherify" or status < 400 or status >= 500 or status in RETRYABLE_4XX:
        return None
    detail = _voucherify_error(body)
    if status == 401:
        reason = (
            "Voucherify refused the application id or secret key. Use an integration key created for "
            "Segment; keys work only on their own project's region: check the API endpoint setting too."
        )
    elif status in (404, 405):
        reason = (
            f"Voucherify has no Segment integration endpoint at {request.url} (HTTP {status}): check the "
            "API endpoint and the Custom Voucherify URL settings."
        )
    else:
        reason = f"Voucherify refused the request (HTTP {status})."
    return Outcome(OutcomeKind.TERMINAL, f"{reason} Voucherify said: {detail}" if detail else reason)


KIND = Kind(
    key="voucherify_segment",
    label="Voucherify ⇄ Segment",
    description="Segment → Voucherify through Voucherify's Segment integration: identify calls create or "
    "update customers (metadata checked by the project's schema), track/page/screen calls become custom "
    "events, group calls assign the customer to the group. "
    "Voucherify → Segment: signed Voucherify webhooks (with their envelope or as a raw payload) for "
    "redemptions, rewards, loyalty points, publications and segment changes become Segment track calls for "
    "the customer's source_id.",
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
