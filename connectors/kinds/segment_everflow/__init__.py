"""Segment → Everflow: mapped track events become server-to-server conversion postbacks.

``GET {tracking_domain}/?nid=…&transaction_id=…[&event_id=…]&…`` (spec §3.2). Only track events
whose name is in the connector's ``event_map`` are sent; the parameters and their checks are in
:mod:`connectors.kinds.segment_everflow.conversion`. The optional verification token is added at
send time, so it is never stored with the delivery.
"""

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

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
from connectors.kinds.segment_everflow.conversion import ConversionRefused, everflow_conversion_params
from connectors.kinds.segment_everflow.fields import FIELDS
from connectors.kinds.segment_everflow.samples import SAMPLES
from connectors.kinds.segment_spec import segment_events_parse, segment_message_key

# The longest postback sent (what web servers accept in a request line), the verification
# token included: a longer postback is cut down to fit, optional parameters first, and said so.
MAX_URL_CHARS = 8000
_TOKEN_ROOM = 40  # "&verification_token=[redacted]" as the attempt log stores it, with room to spare
# Optional parameters left out, in this order, when the postback would be too long.
_SHEDDABLE = (
    ("order line items", lambda name: name.startswith("order_line_items[")),
    ("http_user_agent", lambda name: name == "http_user_agent"),
)

# Everflow's conversion error codes (help center, "Conversions error code reference guide").
ERROR_CODES = {
    2: "the request did not come from an IP on the advertiser's allow-list",
    3: "the request did not come from a domain on the advertiser's allow-list",
    5: "the conversion is outside the offer's click-to-conversion lookback window",
    6: "the offer requires HTTPS postbacks",
    8: 'duplicate: this click already has this conversion (turn on "Allow Duplicate Conversions" on the '
    "offer if repeats are expected)",
    11: "the network id (nid) is not valid: check the connector's network id",
    12: "the transaction id is not valid",
    13: "the click is not valid (unknown, or older than about 90 days)",
    20: "the conversion is outside the offer's lookback window",
}


def everflow_parse(direction: Direction, payload: Any, config: ConnectorConfig) -> list[IncomingEvent]:
    return segment_events_parse(payload)


def _event_id(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def everflow_build(
    direction: Direction, event: IncomingEvent, messages: list[dict], config: ConnectorConfig
) -> Translation:
    context = event.context
    if context["type"] != "track":
        return Translation(ignored=f"Everflow receives track events only, not {context['type']} calls.")
    name = context["event"]
    event_map = config.settings.get("event_map") or {}
    if name not in event_map:
        return Translation(ignored=f"Event {name!r} is not in this connector's event mapping.")
    event_id = _event_id(event_map[name])
    if event_id is None:
        return Translation(
            failed=f"The event mapping sends {name!r} to {event_map[name]!r}, which is not an Everflow event "
            "id (a whole number, 0 for the base conversion)."
        )
    try:
        params = everflow_conversion_params(
            context["raw"], network_id=str(config.settings["network_id"]), event_id=event_id
        )
    except ConversionRefused as refused:
        return Translation(failed=str(refused))
    if "order_id" in params:
        key = f"everflow:{params['transaction_id']}:{event_id}:order:{params['order_id']}"
    else:
        key = f"everflow:{segment_message_key(event)}"
    base = str(config.settings["tracking_domain"]).rstrip("/")
    token = config.secrets.get("verification_token") or ""
    try:
        url, notes = everflow_postback_url(
            base, params, reserve=max(_TOKEN_ROOM, len(urlencode({"verification_token": token})) + 1)
        )
    except ConversionRefused as refused:
        return Translation(failed=str(refused))
    return Translation(
        requests=[
            OutboundRequest(
                destination="everflow", method="GET", url=url, body=None, idempotency_key=key, notes=notes
            )
        ]
    )


def everflow_postback_url(base: str, params: dict[str, str], *, reserve: int) -> tuple[str, str]:
    """``{base}/?{params}`` within MAX_URL_CHARS less ``reserve``, and a note naming what was left out.

    Raises ConversionRefused when even the required and remaining parameters are too long.
    """
    limit = MAX_URL_CHARS - reserve
    kept = dict(params)
    left_out: list[str] = []
    url = f"{base}/?{urlencode(kept)}"
    for label, sheds in _SHEDDABLE:
        if len(url) <= limit:
            break
        names = [name for name in kept if sheds(name)]
        if names:
            kept = {name: value for name, value in kept.items() if name not in names}
            left_out.append(label)
            url = f"{base}/?{urlencode(kept)}"
    if len(url) > limit:
        raise ConversionRefused(
            f"The postback would be {len(url) + reserve} characters, over the {MAX_URL_CHARS} the delivery log "
            "keeps, even without its optional parameters: shorten the long properties (email, coupon, adv1 to "
            "adv5) or the tracking domain."
        )
    if not left_out:
        return url, ""
    return url, f"Not sent, to keep the postback within {MAX_URL_CHARS} characters: {', '.join(left_out)}."


def everflow_prepare(request: OutboundRequest, config: ConnectorConfig) -> PreparedRequest:
    url = request.url
    token = config.secrets.get("verification_token")
    if token:
        url = f"{url}&{urlencode({'verification_token': token})}"
    return PreparedRequest(method=request.method, url=url, headers={"Accept": "application/json"}, body=b"")


def everflow_interpret(
    request: OutboundRequest, status: int, headers: Mapping[str, str], body: bytes
) -> Outcome | None:
    if status == 204:
        return Outcome(
            OutcomeKind.TERMINAL,
            "Everflow rejected the conversion (HTTP 204, empty answer): the transaction id, the offer's "
            "event or its lookback window did not match a click.",
        )
    # Everflow answers some refusals with 200 and an error code in the body (a duplicate: code 8).
    if not (200 <= status < 300 or 400 <= status < 500) or status in (408, 425, 429):
        return None
    try:
        answer = json.loads(body or b"null")
    except ValueError:
        return None
    if not isinstance(answer, dict) or "code" not in answer:
        return None
    code = answer.get("code")
    meaning = ERROR_CODES.get(code, "see Everflow's conversion error codes") if isinstance(code, int) else ""
    detail = f" ({answer['error']})" if answer.get("error") else ""
    return Outcome(OutcomeKind.TERMINAL, f"Everflow refused the conversion, error {code}: {meaning}{detail}.")


KIND = Kind(
    key="segment_everflow",
    label="Segment → Everflow",
    description="Sends Segment track events named in the event mapping to Everflow as server-to-server "
    "conversions (base conversion or advertiser event), with the properties Everflow's Segment "
    "integration defines for all sources and for mobile sources.",
    fields=FIELDS,
    parse=everflow_parse,
    build=everflow_build,
    prepare=everflow_prepare,
    interpret=everflow_interpret,
    samples={Direction.IN: SAMPLES},
)
