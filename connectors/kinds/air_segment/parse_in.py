"""Segment → AIR: the Eagle Eye destination's ``services/trigger`` body (spec/segment-air.md §1.5, §4.3).

Segment's ``eagleeye-audiences`` destination sends one POST per event. It removes all whitespace
from the audience's trigger setting and splits it on commas, refusing only an empty first element,
so ``A1,,P1`` and ``A1,`` arrive with an empty ``reference``; it leaves ``walletTransaction`` out
when the mapped reference (Segment's messageId by default) is empty.

Event context of an inbound trigger:

``identity_value``
    ``body.identityValue``, any identity value of the AIR wallet (Segment's userId by default).
``trigger_references``
    the usable behavioural-action references of ``body.triggers``, whitespace trimmed, in order.
``refused_triggers``
    ``[{"index", "reason"}]``, one per element of ``body.triggers`` that is not sent to AIR (an
    empty reference); ``[]`` when every element is sent.
``wallet_transaction_reference``
    ``body.walletTransaction.reference`` as Segment sent it, or ``null``.

The event's source id, which the pipeline de-duplicates on:

- with a reference, ``trigger:`` + the SHA-256 of ``[reference, identity, sorted set of trigger
  references]``: a Segment retry (same messageId, same customer, same triggers) is a duplicate; the
  same reference for another customer, or with other triggers (one Segment event feeding two
  audiences' mappings), is another reward. The triggers count as a set because AIR runs one
  request's triggers as one wallet transaction whatever their order, and because re-ordering or
  repeating an element of the audience setting must not turn a retry into a second reward;
- without one, ``trigger:`` + a random UUID: nothing identifies a repeat, so each request is its
  own reward (two Segment events for one customer and trigger are two triggers at AIR), and a
  Segment retry can reward twice: the connector page says to map messageId.

Either has a fixed length (72 and 40 characters), within the event's 200-character source id.

The call it becomes: :mod:`.build_in`; what of it is the reward ledger's: :mod:`.rewards`.
"""

import hashlib
import json
import uuid
from typing import Any, TypeGuard

from connectors.kinds.base import FieldError, IncomingEvent, PayloadInvalid

TRIGGER_TYPE = "services/trigger"
SOURCE_ID_PREFIX = "trigger:"
EMPTY_TRIGGER = "An empty trigger reference (an empty element of the audience's comma-separated list)."
NOT_A_TRIGGER = 'Not a {"reference": "<non-empty text>"} object.'


def _non_empty(value: Any) -> TypeGuard[str]:
    return isinstance(value, str) and bool(value.strip())


def _digest(*parts: Any) -> str:
    canonical = json.dumps(list(parts), separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def trigger_key(*, reference: str, identity: str, triggers: list[str]) -> str:
    """The source id of a trigger with a wallet-transaction reference (see the module's docstring)."""
    return SOURCE_ID_PREFIX + _digest(reference, identity, sorted(set(triggers)))


def trigger_window_key(*, identity: str, triggers: list[str]) -> str:
    """What "the same identity and triggers" means for the connector's repeat window: a SHA-256 hex."""
    return _digest(identity, sorted(set(triggers)))


def _triggers_read(triggers: Any, errors: list[FieldError]) -> tuple[list[str], list[dict[str, Any]]]:
    """The usable references, and each refused element with why; a body with none is an error."""
    if not isinstance(triggers, list) or not triggers:
        errors.append(FieldError("body.triggers", 'Required, a list of at least one {"reference": ...}.'))
        return [], []
    references: list[str] = []
    refused: list[dict[str, Any]] = []
    for index, trigger in enumerate(triggers):
        value = trigger.get("reference") if isinstance(trigger, dict) else None
        if _non_empty(value):
            references.append(value.strip())
        else:
            reason = EMPTY_TRIGGER if isinstance(value, str) else NOT_A_TRIGGER
            refused.append({"index": index, "reason": reason})
    if not references:
        errors.extend(
            FieldError(f"body.triggers[{item['index']}].reference", f"No usable trigger: {item['reason']}")
            for item in refused
        )
    return references, refused


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
    references, refused = _triggers_read(body.get("triggers"), errors)
    if errors:
        raise PayloadInvalid(errors)
    identity = body["identityValue"].strip()
    if reference:
        source_event_id = trigger_key(reference=reference, identity=identity, triggers=references)
    else:
        source_event_id = SOURCE_ID_PREFIX + uuid.uuid4().hex
    return IncomingEvent(
        event_type=TRIGGER_TYPE,
        source_event_id=source_event_id,
        identity=identity,
        occurred_at=None,
        context={
            "identity_value": identity,
            "trigger_references": references,
            "refused_triggers": refused,
            "wallet_transaction_reference": reference,
        },
        raw=payload,
    )
