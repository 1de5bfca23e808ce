"""Eagle Eye AIR ⇄ Segment.

- ``out`` (AIR → Segment): an AIR event notification (``parser``) becomes a documented event
  context; the mapping rules (``default_rules.json``: the Segment data model EE documents) turn it
  into Segment track/identify calls, which ``outbound`` completes and packs for ``/v1/batch``.
- ``in`` (Segment → AIR): the Eagle Eye destination's ``services/trigger`` body (``inbound``)
  becomes one ``POST {wallet}/services/trigger`` call, signed with AIR's hash (``client``).
"""

import copy
import json
import uuid
from pathlib import Path
from typing import Any

from connectors.kinds.air_segment.client import request_prepare, response_interpret
from connectors.kinds.air_segment.fields import FIELDS
from connectors.kinds.air_segment.inbound import REWARDS, trigger_build, trigger_parse
from connectors.kinds.air_segment.outbound import notification_build
from connectors.kinds.air_segment.parser import notification_parse
from connectors.kinds.base import ConnectorConfig, Direction, IncomingEvent, Kind, Translation
from connectors.kinds.segment import segment_merge

_HERE = Path(__file__).parent


def _sample_name(stem: str) -> str:
    """``POSCONNECT.WALLET.FULFIL_initial`` → ``POSCONNECT.WALLET.FULFIL (initial)``."""
    name, _, variant = stem.partition("_")
    return f"{name} ({variant})" if variant else name


def _samples() -> dict[Direction, dict[str, Any]]:
    out = {
        _sample_name(path.stem): json.loads(path.read_text())
        for path in sorted((_HERE / "samples" / "out").glob("*.json"))
    }
    return {
        Direction.OUT: out,
        Direction.IN: {
            "services/trigger": json.loads((_HERE / "samples" / "in" / "services_trigger.json").read_text())
        },
    }


def sample_renew(direction: Direction, payload: Any) -> Any:
    """The sample as another event: a new ``eesEventId`` for a notification (its key is the id plus
    its operations), a new wallet-transaction reference for a trigger that carries one."""
    renewed = copy.deepcopy(payload)
    if direction is Direction.OUT:
        renewed["headers"]["eesEventId"] = str(uuid.uuid4())
    elif isinstance((renewed.get("body") or {}).get("walletTransaction"), dict):
        renewed["body"]["walletTransaction"]["reference"] = f"test-{uuid.uuid4()}"
    return renewed


def parse(direction: Direction, payload: Any, config: ConnectorConfig) -> list[IncomingEvent]:
    if direction is Direction.IN:
        return [trigger_parse(payload)]
    return [notification_parse(payload, config)]


def build(
    direction: Direction, event: IncomingEvent, messages: list[dict[str, Any]], config: ConnectorConfig
) -> Translation:
    if direction is Direction.IN:
        return trigger_build(event, config)
    return notification_build(event, messages, config)


KIND = Kind(
    key="air_segment",
    label="Eagle Eye AIR ⇄ Segment",
    description=(
        "AIR event notifications (wallet created, purchases, fulfilments, refunds, points spent, tiers, "
        "subscriptions, rewards) become Segment track and identify calls named as in Eagle Eye's Segment "
        "data model, with the customer's AIR identity of the chosen type as userId. Segment's Eagle Eye "
        "destination triggers AIR behavioural actions (rewards) through services/trigger."
    ),
    fields=FIELDS,
    parse=parse,
    build=build,
    prepare=request_prepare,
    interpret=response_interpret,
    default_rules={Direction.OUT: json.loads((_HERE / "default_rules.json").read_text())},
    samples=_samples(),
    sample_renew=sample_renew,
    merge=segment_merge,
    rewards=REWARDS,
)
