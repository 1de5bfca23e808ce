"""Shared helpers: translate one of the kind's own samples the way the pipeline does."""

from connectors.kinds.air_segment import KIND
from connectors.kinds.base import ConnectorConfig, Direction, IncomingEvent, Translation
from events.rules.mapping import messages_render

LIBRARY = {"name": "ee-connect", "version": "0.1.0"}
SETTINGS = {
    "air_client_id": "client-1",
    "air_wallet_url": "https://wallet.example.test",
    "segment_region": "US",
    "currency": "GBP",
    "identity_type": "CUSTOMER_ID",
    "amounts_in_minor_units": True,
    "send_identify": True,
}
SECRETS = {"segment_write_key": "wk", "air_client_secret": "air-secret"}


def config_make(**settings) -> ConnectorConfig:
    return ConnectorConfig(connector_id="x", settings={**SETTINGS, **settings}, secrets=SECRETS)


def out_translate(payload: dict, config: ConnectorConfig | None = None) -> tuple[IncomingEvent, Translation]:
    config = config or config_make()
    [event] = KIND.parse(Direction.OUT, payload, config)
    messages = messages_render(
        KIND.default_rules[Direction.OUT], event_type=event.event_type, context=event.context
    )
    return event, KIND.build(Direction.OUT, event, messages, config)


def sample(name: str) -> dict:
    return KIND.samples[Direction.OUT][name]


def batch_of(translation: Translation) -> list[dict]:
    """The one batch's messages without their messageIds (``test_message_ids`` states those), after
    checking that every message has its own."""
    [request] = translation.requests
    batch = request.body["batch"]
    ids = [message["messageId"] for message in batch]
    assert len(set(ids)) == len(ids) and all(len(value) < 100 for value in ids)
    return [{key: value for key, value in message.items() if key != "messageId"} for message in batch]


def expected(payload: dict, calls: list[tuple[str, dict]], traits: dict) -> list[dict]:
    """The exact batch: one identify with ``traits``, then each (event, properties) as a track."""
    timestamp = payload["headers"]["eventDate"][:23] + "Z"
    batch = [
        {
            "type": "identify",
            "userId": "CUST-1001",
            "traits": traits,
            "context": {"library": LIBRARY},
            "timestamp": timestamp,
        }
    ]
    for event, properties in calls:
        batch.append(
            {
                "type": "track",
                "event": event,
                "userId": "CUST-1001",
                "properties": properties,
                "context": {"traits": traits, "library": LIBRARY},
                "timestamp": timestamp,
            }
        )
    return batch
