"""Shared givens for the Everflow kind's tests: the sandbox connector's settings and one-call helpers."""

import copy
from urllib.parse import parse_qsl, urlsplit

from connectors.kinds.base import ConnectorConfig, Direction, Translation
from connectors.kinds.segment_everflow import KIND
from connectors.kinds.segment_everflow.samples import WEB_ORDER_COMPLETED

SETTINGS = {
    "tracking_domain": "http://127.0.0.1:8000/sandbox/everflow",
    "network_id": "1",
    "event_map": {"Order Completed": 0, "Purchase": 24},
    "api_base_url": "http://127.0.0.1:8000/sandbox/everflow/api",
}
SECRETS = {"api_key": "sandbox-everflow-api-key"}
BASE = "http://127.0.0.1:8000/sandbox/everflow/?"


def config_with(settings=None, secrets=SECRETS) -> ConnectorConfig:
    return ConnectorConfig(connector_id="x", settings={**SETTINGS, **(settings or {})}, secrets=secrets)


def translate(message, config=None) -> Translation:
    config = config or config_with()
    [event] = KIND.parse(Direction.IN, message, config)
    return KIND.build(Direction.IN, event, [], config)


def query_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


def bare(event="Order Completed", **properties):
    """A track call with these properties and an empty context (so no referrer, no device)."""
    message = copy.deepcopy(WEB_ORDER_COMPLETED)
    message["event"] = event
    message["properties"] = properties
    message["context"] = {}
    return message
