"""Voucherify ⇄ Segment.

- ``in`` (Segment → Voucherify): Segment Spec messages go to the endpoints of Voucherify's Segment
  integration, as Segment's own Voucherify destination sends them (:mod:`.build_in`).
- ``out`` (Voucherify → Segment): signed Voucherify webhooks (:mod:`.parse_out`) become Segment
  track calls through the connector's mapping rules (:mod:`.build_out`).

Sending, and what Voucherify's answers mean: :mod:`.client`.
"""

from typing import Any

from connectors.kinds.base import ConnectorConfig, Direction, IncomingEvent, Kind, Translation
from connectors.kinds.segment import segment_merge
from connectors.kinds.segment_spec import segment_events_parse
from connectors.kinds.voucherify_segment.build_in import voucherify_inbound_build
from connectors.kinds.voucherify_segment.build_out import DEFAULT_RULES, voucherify_outbound_build
from connectors.kinds.voucherify_segment.client import voucherify_interpret, voucherify_prepare
from connectors.kinds.voucherify_segment.fields import FIELDS
from connectors.kinds.voucherify_segment.parse_out import voucherify_signature_verify, voucherify_webhook_parse
from connectors.kinds.voucherify_segment.samples import SAMPLES, sandbox_connector


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
    samples=SAMPLES,
    merge=segment_merge,
    sandbox_upstreams=("voucherify", "segment"),
    sandbox_connector=sandbox_connector,
)
