"""AIR's parsers (notifications out, services/trigger in), given hostile values, return an event or
raise PayloadInvalid, nothing else; and what they return fits what the platform stores."""

from hypothesis import given

from connectors.kinds.air_segment.parse_in import trigger_parse
from connectors.kinds.air_segment.parse_out import notification_parse
from connectors.kinds.base import ConnectorConfig, Direction, IncomingEvent, PayloadInvalid
from connectors.kinds.registry import kind_get
from tests.connectors.factories import AIR_SECRETS, AIR_SETTINGS
from tests.hostile import FUZZ, hostile_payloads

CONFIG = ConnectorConfig(connector_id="fuzz", settings=AIR_SETTINGS, secrets=AIR_SECRETS)
SAMPLES = kind_get("air_segment").samples
# The columns of a stored event (events.Event).
MAX_ID_CHARS, MAX_EVENT_TYPE_CHARS = 200, 120


def checked(event: IncomingEvent) -> None:
    assert isinstance(event.source_event_id, str) and len(event.source_event_id) <= MAX_ID_CHARS
    assert isinstance(event.identity, str | None) and len(event.identity or "") <= MAX_ID_CHARS
    assert isinstance(event.event_type, str) and len(event.event_type) <= MAX_EVENT_TYPE_CHARS
    assert isinstance(event.context, dict)


@FUZZ
@given(payload=hostile_payloads(list(SAMPLES[Direction.OUT].values())))
def test_notifications_are_parsed_or_refused(payload):
    try:
        event = notification_parse(payload, CONFIG)
    except PayloadInvalid as refused:
        assert refused.errors
        return
    checked(event)


@FUZZ
@given(payload=hostile_payloads(list(SAMPLES[Direction.IN].values())))
def test_triggers_are_parsed_or_refused(payload):
    try:
        event = trigger_parse(payload)
    except PayloadInvalid as refused:
        assert refused.errors
        return
    checked(event)
