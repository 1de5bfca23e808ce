"""What of a trigger is the reward ledger's (``REWARDS``): the reward it asks for, read from its
context (:mod:`.parse_in`), and what AIR says it awarded, in its answer (``client.response_interpret``'s
result) and in the SERVICE.TRIGGER notification it sends back (:mod:`.parse_out`'s context).
"""

from collections.abc import Iterable, Mapping
from typing import Any

from connectors.kinds.air_segment.build_in import AIR_DESTINATION
from connectors.kinds.air_segment.parse_in import TRIGGER_TYPE, trigger_window_key
from connectors.kinds.base import IncomingEvent, RewardAward, RewardHandling, RewardRequest

REWARD_NOTIFICATION = "SERVICE.TRIGGER"
# What the notification parser says a SERVICE.TRIGGER awarded: points credited (or, failing that,
# the behavioural action's {"points", …}) and e-coupon accounts created.
AWARDED_POINTS_KEYS = ("points_earned", "awarded_points")


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
