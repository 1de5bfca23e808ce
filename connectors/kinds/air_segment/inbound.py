"""Segment → AIR: the Eagle Eye destination's ``services/trigger`` body (spec/segment-air.md §1.5, §4.3).

Event context of an inbound trigger:

``identity_value``
    ``body.identityValue``, any identity value of the AIR wallet (Segment's userId by default).
``trigger_references``
    the behavioural-action references of ``body.triggers``, whitespace trimmed, in order.
``wallet_transaction_reference``
    ``body.walletTransaction.reference`` (Segment's messageId by default), or ``null``.

AIR is sent the inner body only; when Segment sent no reference, one is derived from the event's
source id, so a retry can never reward twice.
"""

import hashlib
from typing import Any

from connectors.kinds.base import (
    ConnectorConfig,
    FieldError,
    IncomingEvent,
    OutboundRequest,
    PayloadInvalid,
    Translation,
)

TRIGGER_TYPE = "services/trigger"


def _non_empty(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def trigger_parse(payload: Any) -> IncomingEvent:
    """Validate Segment's trigger body, naming every bad field, and build its event context."""
    if not isinstance(payload, dict):
        raise PayloadInvalid([FieldError("", "The body must be a JSON object.")])
    errors: list[FieldError] = []
    if payload.get("type") != TRIGGER_TYPE:
        errors.append(FieldError("type", f'Must be "{TRIGGER_TYPE}".'))
    body = payload.get("body")
    if not isinstance(body, dict):
        errors.append(FieldError("body", "Required, an object with identityValue and triggers."))
        raise PayloadInvalid(errors)
    if not _non_empty(body.get("identityValue")):
        errors.append(
            FieldError("body.identityValue", "Required, a non-empty string (the customer's identity).")
        )
    reference = None
    wallet_transaction = body.get("walletTransaction")
    if wallet_transaction is not None:
        if not isinstance(wallet_transaction, dict):
            errors.append(FieldError("body.walletTransaction", "Must be an object with a reference."))
        elif wallet_transaction.get("reference") not in (None, ""):
            if _non_empty(wallet_transaction["reference"]):
                reference = wallet_transaction["reference"].strip()
            else:
                errors.append(FieldError("body.walletTransaction.reference", "Must be a non-empty string."))
    references: list[str] = []
    triggers = body.get("triggers")
    if not isinstance(triggers, list) or not triggers:
        errors.append(FieldError("body.triggers", 'Required, a list of at least one {"reference": ...}.'))
    else:
        for index, trigger in enumerate(triggers):
            value = trigger.get("reference") if isinstance(trigger, dict) else None
            if _non_empty(value):
                references.append(value.strip())
            else:
                errors.append(
                    FieldError(
                        f"body.triggers[{index}].reference", "Required, a non-empty trigger reference."
                    )
                )
    if errors:
        raise PayloadInvalid(errors)
    identity = body["identityValue"].strip()
    return IncomingEvent(
        event_type=TRIGGER_TYPE,
        source_event_id=reference or "",
        identity=identity,
        occurred_at=None,
        context={
            "identity_value": identity,
            "trigger_references": references,
            "wallet_transaction_reference": reference,
        },
        raw=payload,
    )


def wallet_transaction_reference(event: IncomingEvent) -> str:
    """Segment's reference, or one derived from the event's source id (stable across retries)."""
    given = event.context.get("wallet_transaction_reference")
    if given:
        return given
    return "eec-" + hashlib.sha256(event.source_event_id.encode()).hexdigest()[:40]


def trigger_build(event: IncomingEvent, config: ConnectorConfig) -> Translation:
    reference = wallet_transaction_reference(event)
    body = {
        "identityValue": event.context["identity_value"],
        "walletTransaction": {"reference": reference},
        "triggers": [{"reference": value} for value in event.context["trigger_references"]],
    }
    url = f"{config.settings['air_wallet_url'].rstrip('/')}/services/trigger"
    return Translation(
        requests=[
            OutboundRequest(destination="air", method="POST", url=url, body=body, idempotency_key=reference)
        ]
    )
