"""Segment → Everflow: a mapped track event becomes a server-to-server conversion postback, a
refund the rejection of the conversion it refunds.

- A sale: ``GET {tracking_domain}/?nid=…&transaction_id=…[&adv_event_id=…]&…`` (spec §3.2). Only
  track events whose name is in the connector's ``event_map`` are sent; the parameters and their
  checks are in :mod:`connectors.kinds.segment_everflow.build_conversion`. The optional verification
  token is added at send time (:mod:`.client`), so it is never stored with the delivery.
- A refund or cancellation (:mod:`connectors.kinds.segment_everflow.build_refund`): a postback would be a
  second sale, so the click's conversion is rejected through Everflow's REST API instead.
"""

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from connectors.kinds.base import ConnectorConfig, Direction, IncomingEvent, OutboundRequest, Translation
from connectors.kinds.segment_everflow.build_conversion import (
    ConversionRefused,
    everflow_conversion_params,
    everflow_transaction_id,
)
from connectors.kinds.segment_everflow.build_refund import REJECTED, everflow_is_refund, everflow_reject_url
from connectors.kinds.segment_everflow.fields import DEFAULT_API_BASE_URL
from connectors.kinds.segment_spec import segment_message_key

# The longest postback sent (what web servers accept in a request line), the verification
# token included: a longer postback is cut down to fit, optional parameters first, and said so.
MAX_URL_CHARS = 8000
_TOKEN_ROOM = 40  # "&verification_token=[redacted]" as the attempt log stores it, with room to spare
# Optional parameters left out, in this order, when the postback would be too long.
_SHEDDABLE: tuple[tuple[str, Callable[[str], bool]], ...] = (
    ("order", lambda name: name == "order"),
    ("user_agent", lambda name: name == "user_agent"),
)


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
