"""Segment → Everflow: mapped track events become server-to-server conversion postbacks, and
refunds reject the conversion they refund.

- A sale: ``GET {tracking_domain}/?nid=…&transaction_id=…[&adv_event_id=…]&…`` (spec §3.2). Only
  track events whose name is in the connector's ``event_map`` are sent; the parameters and their
  checks are in :mod:`connectors.kinds.segment_everflow.conversion`. The optional verification
  token is added at send time, so it is never stored with the delivery.
- A refund or cancellation (:mod:`connectors.kinds.segment_everflow.refund`): a postback would be a
  second sale, so the click's conversion is rejected through Everflow's REST API instead.
"""

import json
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

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
from connectors.kinds.segment_everflow.conversion import (
    ConversionRefused,
    everflow_conversion_params,
    everflow_transaction_id,
    json_short,
)
from connectors.kinds.segment_everflow.fields import DEFAULT_API_BASE_URL, FIELDS
from connectors.kinds.segment_everflow.refund import REJECTED, everflow_is_refund, everflow_reject_url
from connectors.kinds.segment_everflow.samples import SAMPLES
from connectors.kinds.segment_spec import segment_events_parse, segment_message_key

# The longest postback sent (what web servers accept in a request line), the verification
# token included: a longer postback is cut down to fit, optional parameters first, and said so.
MAX_URL_CHARS = 8000
_TOKEN_ROOM = 40  # "&verification_token=[redacted]" as the attempt log stores it, with room to spare
# Optional parameters left out, in this order, when the postback would be too long.
_SHEDDABLE: tuple[tuple[str, Callable[[str], bool]], ...] = (
    ("order", lambda name: name == "order"),
    ("user_agent", lambda name: name == "user_agent"),
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


def _refund_translation(event: IncomingEvent, config: ConnectorConfig) -> Translation:
    name = event.context["event"]
    try:
        transaction_id, _ = everflow_transaction_id(event.context["raw"])
    except ConversionRefused as refused:
        return Translation(failed=f"{name!r} is a refund, so it rejects the click's conversion: {refused}")
    if not config.secrets.get("api_key"):
        return Translation(
            failed=f"{name!r} is a refund: rejecting the conversion needs the Everflow network API key "
            "(Control Center → Security), which this connector does not have."
        )
    base = str(config.settings.get("api_base_url") or DEFAULT_API_BASE_URL)
    return Translation(
        requests=[
            OutboundRequest(
                destination="everflow",
                method="PATCH",
                url=everflow_reject_url(base, transaction_id),
                body=dict(REJECTED),
                idempotency_key=f"everflow:refund:{transaction_id}:{segment_message_key(event)}",
            )
        ]
    )


def everflow_build(
    direction: Direction, event: IncomingEvent, messages: list[dict[str, Any]], config: ConnectorConfig
) -> Translation:
    context = event.context
    if context["type"] != "track":
        return Translation(ignored=f"Everflow receives track events only, not {context['type']} calls.")
    name = context["event"]
    if everflow_is_refund(name, setting=config.settings.get("refund_events")):
        return _refund_translation(event, config)
    event_map = config.settings.get("event_map") or {}
    if name not in event_map:
        return Translation(ignored=f"Event {name!r} is not in this connector's event mapping.")
    adv_event_id = _event_id(event_map[name])
    if adv_event_id is None:
        return Translation(
            failed=f"The event mapping sends {name!r} to {event_map[name]!r}, which is not an Everflow event "
            "id (a whole number, 0 for the base conversion)."
        )
    try:
        params, notes = everflow_conversion_params(
            context["raw"], network_id=str(config.settings["network_id"]), adv_event_id=adv_event_id
        )
    except ConversionRefused as refused:
        return Translation(failed=str(refused))
    if "order_id" in params:
        key = f"everflow:{params['transaction_id']}:{adv_event_id}:order:{params['order_id']}"
    else:
        key = f"everflow:{segment_message_key(event)}"
    base = str(config.settings["tracking_domain"]).rstrip("/")
    token = config.secrets.get("verification_token") or ""
    try:
        url, shed = everflow_postback_url(
            base, params, reserve=max(_TOKEN_ROOM, len(urlencode({"verification_token": token})) + 1)
        )
    except ConversionRefused as refused:
        return Translation(failed=str(refused))
    return Translation(
        requests=[
            OutboundRequest(
                destination="everflow",
                method="GET",
                url=url,
                body=None,
                idempotency_key=key,
                notes=" ".join(note for note in (shed, notes) if note),
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
    if request.method == "PATCH":
        return PreparedRequest(
            method="PATCH",
            url=request.url,
            headers={
                "Content-Type": "application/json",
                "Accept": "application/json",
                "X-Eflow-API-Key": config.secrets.get("api_key") or "",
            },
            body=json.dumps(request.body, separators=(",", ":")).encode(),
        )
    url = request.url
    token = config.secrets.get("verification_token")
    if token:
        url = f"{url}&{urlencode({'verification_token': token})}"
    return PreparedRequest(method=request.method, url=url, headers={"Accept": "application/json"}, body=b"")


def _answer(body: bytes) -> Any:
    try:
        return json.loads(body or b"null")
    except ValueError:
        return None


def _refund_interpret(status: int, body: bytes) -> Outcome | None:
    answer = _answer(body)
    detail = ""
    if isinstance(answer, dict) and answer.get("error"):
        detail = f" Everflow said: {str(answer['error'])[:300]}"
    if status in (401, 403):
        return Outcome(
            OutcomeKind.TERMINAL,
            f"Everflow refused the API key (HTTP {status}): set a network API key from Control Center → "
            f"Security.{detail}",
        )
    if status == 404:
        return Outcome(
            OutcomeKind.TERMINAL,
            f"Everflow has no conversion for this transaction id, so there is nothing to reject.{detail}",
        )
    if 400 <= status < 500 and status not in RETRYABLE_4XX:
        return Outcome(OutcomeKind.TERMINAL, f"Everflow refused to reject the conversion (HTTP {status}).{detail}")
    if 200 <= status < 300 and not (isinstance(answer, dict) and answer.get("result") is True):
        return Outcome(
            OutcomeKind.TERMINAL,
            f"Everflow did not confirm the rejection (it answered {json_short(answer)}, not {{\"result\": true}}).",
        )
    return None


def everflow_interpret(
    request: OutboundRequest, status: int, headers: Mapping[str, str], body: bytes
) -> Outcome | None:
    if request.method == "PATCH":
        return _refund_interpret(status, body)
    if status == 204:
        return Outcome(
            OutcomeKind.TERMINAL,
            "Everflow rejected the conversion (HTTP 204, empty answer): the transaction id, the offer's "
            "event or its lookback window did not match a click.",
        )
    # Everflow answers some refusals with 200 and an error code in the body (a duplicate: code 8).
    if not (200 <= status < 300 or 400 <= status < 500) or status in RETRYABLE_4XX:
        return None
    answer = _answer(body)
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
    "conversions (base conversion or brand event), with the properties Everflow's Segment integration "
    "defines under the postback's own parameter names; refunds and cancellations reject the click's "
    "conversion through Everflow's API.",
    fields=FIELDS,
    parse=everflow_parse,
    build=everflow_build,
    prepare=everflow_prepare,
    interpret=everflow_interpret,
    samples={Direction.IN: SAMPLES},
    directions=(Direction.IN,),
)
