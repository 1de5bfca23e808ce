"""Eagle Eye AIR ⇄ Segment.

- ``out`` (AIR → Segment): an AIR event notification (:mod:`.parse_out`) becomes a documented event
  context; the mapping rules (``default_rules.json``: the Segment data model EE documents) turn it
  into Segment track/identify calls, which :mod:`.build_out` completes and packs for ``/v1/batch``.
- ``in`` (Segment → AIR): the Eagle Eye destination's ``services/trigger`` body (:mod:`.parse_in`)
  becomes one ``POST {wallet}/services/trigger`` call (:mod:`.build_in`), signed with AIR's hash
  (:mod:`.client`); what it asks and AIR awards is the reward ledger's (:mod:`.rewards`).
"""

import json
from pathlib import Path
from typing import Any

from connectors.kinds.air_segment.build_in import trigger_build
from connectors.kinds.air_segment.build_out import notification_build
from connectors.kinds.air_segment.client import request_prepare, response_interpret
from connectors.kinds.air_segment.fields import FIELDS
from connectors.kinds.air_segment.parse_in import trigger_parse
from connectors.kinds.air_segment.parse_out import notification_parse
from connectors.kinds.air_segment.rewards import REWARDS
from connectors.kinds.air_segment.samples import SAMPLES, sample_renew, sandbox_connector
from connectors.kinds.base import ConnectorConfig, Direction, IncomingEvent, Kind, Translation
from connectors.kinds.segment import segment_merge


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
    default_rules={Direction.OUT: json.loads((Path(__file__).parent / "default_rules.json").read_text())},
    samples=SAMPLES,
    sample_renew=sample_renew,
    merge=segment_merge,
    rewards=REWARDS,
    sandbox_upstreams=("air", "segment"),
    sandbox_connector=sandbox_connector,
)
