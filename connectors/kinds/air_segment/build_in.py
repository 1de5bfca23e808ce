"""Segment → AIR: a trigger (:mod:`.parse_in`) becomes one ``POST {wallet}/services/trigger`` call,
its wallet-transaction reference the same for every send of the event and different for every
reward (spec/segment-air.md §4.3); AIR's hash is added at send time (:mod:`.client`).
"""

import hashlib
from typing import Any

from connectors.kinds.air_segment.parse_in import SOURCE_ID_PREFIX, trigger_key
from connectors.kinds.base import ConnectorConfig, IncomingEvent, OutboundRequest, Translation

AIR_DESTINATION = "air"  # the deliveries of a trigger: each asks AIR for a reward
# Segment's messageIds are under 100 characters; a longer mapped value is cut to this before the
# digest suffix, which alone keeps different references apart.
AIR_REFERENCE_MAX_PREFIX = 100
AIR_REFERENCE_DIGEST_CHARS = 12


def wallet_transaction_reference(event: IncomingEvent) -> str:
    """The reference sent to AIR: the same for every send of one event (retries, replays), and
    different for every reward.

    AIR's documentation asks for "a unique reference for the transaction"
    (developer.eagleeye.com, Behavioral Action Trigger recipe: ``{{uniqueReference}}``) and says
    nothing of its scope: whether AIR refuses a reference another wallet used, or the same wallet
    used with other triggers, is not published (spec/segment-air.md §6, question 3). So Segment's
    reference is sent with a suffix from the event's key — ``<reference>-<12 hex>`` — which keeps it
    recognisable in AIR (the seed recommends messageId, optionally with a prefix or suffix) and
    distinct for another customer or other triggers, whatever AIR's scope. A Segment retry has
    the same key, so AIR is sent the same reference.

    Without one, ``eec-`` and 40 hex digits derived from the event's random source id. An event
    stored before the key included identity and triggers has Segment's reference as its source
    id; it is sent that reference unchanged, as it was then, so a replay is recognised by AIR.
    """
    given: str | None = event.context.get("wallet_transaction_reference")
    if not given:
        return "eec-" + hashlib.sha256(event.source_event_id.encode()).hexdigest()[:40]
    key = trigger_key(
        reference=given, identity=event.context["identity_value"], triggers=event.context["trigger_references"]
    )
    if event.source_event_id != key:
        return given
    digest = key.removeprefix(SOURCE_ID_PREFIX)[:AIR_REFERENCE_DIGEST_CHARS]
    return f"{given[:AIR_REFERENCE_MAX_PREFIX]}-{digest}"


def _refusal_note(refused: list[dict[str, Any]], total: int) -> str:
    if not refused:
        return ""
    listed = "; ".join(f"triggers[{item['index']}]: {item['reason']}" for item in refused)
    return f"Not sent to AIR, {len(refused)} of the {total} trigger elements Segment sent: {listed}"


def trigger_build(event: IncomingEvent, config: ConnectorConfig) -> Translation:
    reference = wallet_transaction_reference(event)
    references = event.context["trigger_references"]
    refused = event.context.get("refused_triggers") or []
    body = {
        "identityValue": event.context["identity_value"],
        "walletTransaction": {"reference": reference},
        "triggers": [{"reference": value} for value in references],
    }
    url = f"{config.settings['air_wallet_url'].rstrip('/')}/services/trigger"
    return Translation(
        requests=[
            OutboundRequest(
                destination=AIR_DESTINATION,
                method="POST",
                url=url,
                body=body,
                idempotency_key=reference,
                notes=_refusal_note(refused, len(references) + len(refused)),
            )
        ]
    )
