"""Every non-AIR parser, given hostile values, returns events or raises PayloadInvalid, nothing else;
and what it returns fits what the platform stores."""

from hypothesis import given

from connectors.kinds.base import ConnectorConfig, Direction, IncomingEvent, PayloadInvalid
from connectors.kinds.registry import kind_get
from connectors.kinds.segment_spec import MAX_EVENT_TYPE_CHARS, MAX_ID_CHARS
from tests.hostile import FUZZ, hostile_payloads

CONFIG = ConnectorConfig(connector_id="fuzz", settings={}, secrets={})
SEGMENT_SAMPLES = [
    message
    for key in ("segment_everflow", "segment_perkville", "voucherify_segment")
    for message in kind_get(key).samples[Direction.IN].values()
]
SEGMENT_SAMPLES.append({"batch": SEGMENT_SAMPLES[:3], "context": {"ip": "203.0.113.7"}})
VOUCHERIFY_SAMPLES = list(kind_get("voucherify_segment").samples[Direction.OUT].values())


def parsed_or_refused(kind: str, direction: Direction, payload) -> list[IncomingEvent] | None:
    try:
        events = kind_get(kind).parse(direction, payload, CONFIG)
    except PayloadInvalid as refused:
        assert refused.errors, "a refusal names at least one field"
        assert all(isinstance(error.path, str) and error.message for error in refused.errors)
        return None
    for event in events:
        assert isinstance(event.source_event_id, str) and len(event.source_event_id) <= MAX_ID_CHARS
        assert isinstance(event.identity, str) and len(event.identity) <= MAX_ID_CHARS
        assert isinstance(event.event_type, str) and len(event.event_type) <= MAX_EVENT_TYPE_CHARS
        assert isinstance(event.context, dict)
    return events


@FUZZ
@given(payload=hostile_payloads(SEGMENT_SAMPLES))
def test_segment_messages_are_parsed_or_refused_for_every_segment_bound_kind(payload):
    for kind in ("segment_everflow", "segment_perkville", "voucherify_segment"):
        parsed_or_refused(kind, Direction.IN, payload)


@FUZZ
@given(payload=hostile_payloads(VOUCHERIFY_SAMPLES))
def test_voucherify_webhooks_are_parsed_or_refused(payload):
    parsed_or_refused("voucherify_segment", Direction.OUT, payload)
