"""Segment → Perkville: allow-listed track events (and, when mapped, Engage audience entries) post
points transactions to ``{api_base_url}/v2/transactions/``.

- Track events whose name is in ``event_perk_map`` earn that perk; other events are ignored.
- ``email`` is required: the event root, then ``properties``, then ``context.traits``.
- Quantity and refunds: :func:`connectors.kinds.segment_perkville.build_transaction.perkville_quantity`;
  which events are refunds:
  :func:`~connectors.kinds.segment_perkville.build_transaction.perkville_is_refund`.
- Engage audiences (identify with a snake_cased true/false trait, or ``Audience Entered``): the
  memberships are in the event context (``audiences``); an entry earns a perk only when
  ``audience_perk_map`` names the audience, otherwise the event is ignored as "audience recorded".
"""

from typing import Any

from connectors.kinds.base import ConnectorConfig, Direction, IncomingEvent, OutboundRequest, Translation
from connectors.kinds.segment_perkville.build_transaction import (
    TransactionRefused,
    perkville_is_refund,
    perkville_order_id,
    perkville_quantity,
    perkville_trans_source_id,
    perkville_transaction_body,
)
from connectors.kinds.segment_spec import segment_message_key

NO_EMAIL = (
    "No email on the event (looked at the event root, properties and context.traits): Perkville awards "
    "points to an email address."
)


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
