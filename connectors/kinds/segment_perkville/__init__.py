"""Segment → Perkville: allow-listed track events (and, when mapped, Engage audience entries) post
points transactions to ``{api_base_url}/v2/transactions/`` with the connector's bearer token.

- Track events whose name is in ``event_perk_map`` earn that perk; other events are ignored.
- ``email`` is required: the event root, then ``properties``, then ``context.traits``.
- Quantity and refunds: :func:`connectors.kinds.segment_perkville.transaction.perkville_quantity`;
  which events are refunds: :func:`~connectors.kinds.segment_perkville.transaction.perkville_is_refund`.
- Engage audiences (identify with a snake_cased true/false trait, or ``Audience Entered``): the
  memberships are in the event context (``audiences``); an entry earns a perk only when
  ``audience_perk_map`` names the audience, otherwise the event is ignored as "audience recorded".
"""

import json
from collections.abc import Mapping
from typing import Any

from django.conf import settings

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
from connectors.kinds.segment_perkville.fields import FIELDS
from connectors.kinds.segment_perkville.samples import SAMPLES
from connectors.kinds.segment_perkville.transaction import (
    TransactionRefused,
    perkville_is_refund,
    perkville_order_id,
    perkville_quantity,
    perkville_trans_source_id,
    perkville_transaction_body,
)
from connectors.kinds.segment_spec import segment_events_parse, segment_message_key

PRODUCT = "EE-Connect"
NO_EMAIL = (
    "No email on the event (looked at the event root, properties and context.traits): Perkville awards "
    "points to an email address."
)


def perkville_parse(direction: Direction, payload: Any, config: ConnectorConfig) -> list[IncomingEvent]:
    return segment_events_parse(payload)


def _request(
    config: ConnectorConfig, *, perk_id: Any, email: str, quantity: int | float, source_id: str, notes: str = ""
) -> OutboundRequest:
    base = str(config.settings["api_base_url"]).rstrip("/")
    return OutboundRequest(
        destination="perkville",
        method="POST",
        url=f"{base}/v2/transactions/",
        body=perkville_transaction_body(
            business_id=config.settings["business_id"],
            location_id=config.settings["location_id"],
            perk_id=perk_id,
            email=email,
            quantity=quantity,
            send_email=bool(config.settings.get("send_email", False)),
            trans_source_id=source_id,
        ),
        idempotency_key=source_id,
        notes=notes,
    )


def _audience_translation(event: IncomingEvent, config: ConnectorConfig) -> Translation:
    audiences = event.context["audiences"]
    perk_map = config.settings.get("audience_perk_map") or {}
    recorded = ", ".join(f"{key}={'true' if member else 'false'}" for key, member in audiences.items())
    entered = [key for key, member in audiences.items() if member and key in perk_map]
    if not entered:
        why = (
            "no audience perk is mapped for it"
            if any(member and key not in perk_map for key, member in audiences.items())
            else "only an entry into a mapped audience earns a perk"
        )
        return Translation(ignored=f"Audience recorded ({recorded}); {why}.")
    email = event.context["email"]
    if not email:
        return Translation(failed=NO_EMAIL)
    key = segment_message_key(event)
    return Translation(
        requests=[
            _request(
                config,
                perk_id=perk_map[audience],
                email=email,
                quantity=1,
                source_id=perkville_trans_source_id(
                    perk_id=perk_map[audience],
                    order_id=None,
                    refund=False,
                    message_key=key,
                    audience=audience,
                ),
            )
            for audience in entered
        ]
    )


def perkville_build(
    direction: Direction, event: IncomingEvent, messages: list[dict[str, Any]], config: ConnectorConfig
) -> Translation:
    context = event.context
    perk_map = config.settings.get("event_perk_map") or {}
    is_mapped_track = context["type"] == "track" and context["event"] in perk_map
    if context["audiences"] and not is_mapped_track:
        return _audience_translation(event, config)
    if context["type"] != "track":
        return Translation(ignored=f"Perkville receives track events only, not {context['type']} calls.")
    name = context["event"]
    if not is_mapped_track:
        return Translation(ignored=f"Event {name!r} is not in this connector's event → perk map.")
    if not context["email"]:
        return Translation(failed=NO_EMAIL)
    properties = context["properties"]
    refund = perkville_is_refund(name, setting=config.settings.get("refund_events"))
    try:
        quantity, notes = perkville_quantity(refund=refund, properties=properties)
    except TransactionRefused as refused:
        return Translation(failed=str(refused))
    source_id = perkville_trans_source_id(
        perk_id=perk_map[name],
        order_id=perkville_order_id(properties),
        refund=refund,
        message_key=segment_message_key(event),
    )
    return Translation(
        requests=[
            _request(
                config,
                perk_id=perk_map[name],
                email=context["email"],
                quantity=quantity,
                source_id=source_id,
                notes=notes,
            )
        ]
    )


def perkville_prepare(request: OutboundRequest, config: ConnectorConfig) -> PreparedRequest:
    return PreparedRequest(
        method=request.method,
        url=request.url,
        headers={
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Authorization": f"Bearer {config.secrets['api_token']}",
            # Perkville sits behind Cloudflare, which refuses requests without a User-Agent.
            "User-Agent": f"{PRODUCT}/{settings.VERSION}",
        },
        body=json.dumps(request.body, separators=(",", ":")).encode(),
    )


def _detail(body: bytes) -> str:
    text = body.decode("utf-8", "replace").strip()
    try:
        answer = json.loads(text)
    except ValueError:
        return text[:300]
    if isinstance(answer, dict):
        for key in ("error", "detail", "message", "error_description"):
            if isinstance(answer.get(key), str):
                message: str = answer[key]
                return message[:300]
    return json.dumps(answer, separators=(",", ":"))[:300]


def perkville_interpret(
    request: OutboundRequest, status: int, headers: Mapping[str, str], body: bytes
) -> Outcome | None:
    if status < 400 or status >= 500 or status in RETRYABLE_4XX:
        return None
    detail = _detail(body)
    lowered = detail.lower()
    duplicate_words = ("exist", "duplicate", "unique", "already")
    if status in (400, 409) and "trans_source_id" in lowered and any(word in lowered for word in duplicate_words):
        # The id is the same only for the same sale (keyed by its order) or a retry of the same
        # message (every other event, refunds included): it was posted, so it is not posted twice.
        return Outcome(
            OutcomeKind.SUCCEEDED,
            f"Perkville already has this transaction ({request.idempotency_key}): it was posted before, so "
            "nothing is posted twice.",
        )
    if status == 401:
        reason = "Perkville refused the API token: generate a new one (Settings → Apps → Connect Segment)."
    elif status == 403:
        reason = (
            "The Perkville token may not grant points for this business (needs ADMIN_CUSTOMER_GRANT_POINTS)."
        )
    elif status == 404:
        reason = (
            "Perkville does not know the business, location or perk: check the connector's ids and perk maps."
        )
    else:
        reason = f"Perkville refused the transaction (HTTP {status})."
    return Outcome(OutcomeKind.TERMINAL, f"{reason} Perkville said: {detail}" if detail else reason)


KIND = Kind(
    key="segment_perkville",
    label="Segment → Perkville",
    description="Awards Perkville points for allow-listed Segment track events (spend transactions by order "
    "revenue, Order Refunded and the listed refund events remove points, other events earn 1), and "
    "optionally for Engage audience entries.",
    fields=FIELDS,
    parse=perkville_parse,
    build=perkville_build,
    prepare=perkville_prepare,
    interpret=perkville_interpret,
    samples={Direction.IN: SAMPLES},
    directions=(Direction.IN,),
)
