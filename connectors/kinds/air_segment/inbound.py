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

What of a trigger is the reward ledger's (``REWARDS``): the reward it asks for, read from its
context, and what AIR says it awarded, in its answer (``client.response_interpret``'s result) and
in the SERVICE.TRIGGER notification it sends back (``parser``'s context).
"""

import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping
from typing import Any, TypeGuard

from connectors.kinds.base import (
    ConnectorConfig,
    FieldError,
    IncomingEvent,
    OutboundRequest,
    PayloadInvalid,
    RewardAward,
    RewardHandling,
    RewardRequest,
    Translation,
)

TRIGGER_TYPE = "services/trigger"
AIR_DESTINATION = "air"  # the deliveries of a trigger: each asks AIR for a reward
REWARD_NOTIFICATION = "SERVICE.TRIGGER"
# What the notification parser says a SERVICE.TRIGGER awarded: points credited (or, failing that,
# the behavioural action's {"points", …}) and e-coupon accounts created.
AWARDED_POINTS_KEYS = ("points_earned", "awarded_points")
SOURCE_ID_PREFIX = "trigger:"
EMPTY_TRIGGER = "An empty trigger reference (an empty element of the audience's comma-separated list)."
NOT_A_TRIGGER = 'Not a {"reference": "<non-empty text>"} object.'
# Segment's messageIds are under 100 characters; a longer mapped value is cut to this before the
# digest suffix, which alone keeps different references apart.
AIR_REFERENCE_MAX_PREFIX = 100
AIR_REFERENCE_DIGEST_CHARS = 12


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


def _reference_text(item: Any) -> str:
    """A trigger reference as text, whether a context lists strings or AIR's {reference} objects."""
    return str(item.get("reference", "")) if isinstance(item, Mapping) else str(item)


def trigger_reward_read(event: IncomingEvent) -> RewardRequest:
    """The reward a trigger asks for, read from its context (a stored one's too: its identity may be
    the event's alone and its triggers AIR's objects). Each trigger's path counts the elements of
    ``body.triggers`` refused before it, so an error names the element Segment sent."""
    context = event.context
    identity = str(context.get("identity_value") or event.identity or "")
    triggers = tuple(_reference_text(item) for item in context.get("trigger_references") or [])
    refused = {item.get("index") for item in context.get("refused_triggers") or [] if isinstance(item, Mapping)}
    sent_at = [index for index in range(len(triggers) + len(refused)) if index not in refused]
    return RewardRequest(
        identity=identity,
        triggers=triggers,
        trigger_paths=tuple(f"body.triggers[{index}].reference" for index in sent_at[: len(triggers)]),
        reference=str(context.get("wallet_transaction_reference") or ""),
        window_key=trigger_window_key(identity=identity, triggers=list(triggers)),
    )


def _points(value: Any) -> int | None:
    """Points as AIR gives them: a number, or an object with ``points``; None when neither."""
    if isinstance(value, Mapping):
        value = value.get("points")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    return None


def _coupons(value: Any) -> tuple[Mapping[str, Any], ...]:
    return tuple(value) if isinstance(value, list) else ()


def _first_present(context: Mapping[str, Any], keys: Iterable[str]) -> Any:
    return next((context[key] for key in keys if context.get(key) is not None), None)


def trigger_answer_read(result: Mapping[str, Any]) -> RewardAward:
    """What AIR's answer to a trigger says it awarded (``client.wallet_transaction_result``), or
    that it already held the reference (``client.reference_repeat``)."""
    return RewardAward(
        transaction_id=str(result.get("wallet_transaction_id") or ""),
        points=_points(result.get("points")),
        coupons=_coupons(result.get("coupons")),
        already_processed=bool(result.get("already_processed")),
    )


def trigger_notification_read(event: IncomingEvent) -> RewardAward:
    """What AIR's SERVICE.TRIGGER notification says it awarded, and for which reference we sent."""
    context = event.context
    reference = context.get("wallet_transaction_reference") or (context.get("transaction") or {}).get("reference")
    return RewardAward(
        reference=str(reference or ""),
        points=_points(_first_present(context, AWARDED_POINTS_KEYS)),
        coupons=_coupons(context.get("coupons_awarded")),
    )


REWARDS = RewardHandling(
    request_type=TRIGGER_TYPE,
    destination=AIR_DESTINATION,
    request_read=trigger_reward_read,
    answer_read=trigger_answer_read,
    notification_type=REWARD_NOTIFICATION,
    notification_read=trigger_notification_read,
    refuse_unknown_setting="refuse_unknown_triggers",
    window_setting="trigger_dedupe_window_seconds",
)
