"""Shared helpers: a Perkville connector's config, and a Segment message translated as the pipeline does."""

import copy

from connectors.kinds.base import ConnectorConfig, Direction, Translation
from connectors.kinds.segment_perkville import KIND
from connectors.kinds.segment_perkville.samples import ORDER_COMPLETED

SETTINGS = {
    "api_base_url": "http://127.0.0.1:8000/sandbox/perkville",
    "business_id": "42",
    "location_id": "7",
    "send_email": True,
    "event_perk_map": {"Order Completed": "111", "Order Refunded": 111, "Checked In": 222},
    "audience_perk_map": {},
    "refund_events": "",
}
SECRETS = {"api_token": "sandbox-perkville-token"}
CONFIG = ConnectorConfig(connector_id="x", settings=SETTINGS, secrets=SECRETS, sandbox_enabled=True)
URL = "http://127.0.0.1:8000/sandbox/perkville/v2/transactions/"


def config_make(**settings) -> ConnectorConfig:
    return ConnectorConfig(connector_id="x", settings={**SETTINGS, **settings}, secrets=SECRETS)


def translate(message: dict, config: ConnectorConfig = CONFIG) -> Translation:
    [event] = KIND.parse(Direction.IN, message, config)
    return KIND.build(Direction.IN, event, [], config)


def order(event: str = "Order Completed", **properties) -> dict:
    """The Order Completed sample renamed ``event``, its properties updated with ``properties``."""
    message = copy.deepcopy(ORDER_COMPLETED)
    message["event"] = event
    message["properties"].update(properties)
    return message
