"""Where the pipeline hands over to the reward ledger (the rewards app owns what it records).

A kind declares what of its traffic is the ledger's (``Kind.rewards``): for AIR, inbound
``services/trigger`` events request rewards, and the SERVICE.TRIGGER notification AIR sends back
on the outbound side confirms them. This module asks the event's kind and hands the ledger the
plain values the kind reads; an event of a kind without reward handling never reaches it.
"""

from typing import Any

from connectors.kinds.base import Direction, FieldError, IncomingEvent, RewardHandling, RewardRequest
from connectors.kinds.registry import kind_get, kinds
from connectors.models import Connector
from events.models import Delivery, Event
from rewards.services import (
    reward_follow_up_link,
    reward_outcome_record,
    reward_request_record,
    trigger_references_check,
    trigger_window_claim,
)


def _rewards(connector: Connector) -> RewardHandling | None:
    return kind_get(connector.kind).rewards


def _setting(connector: Connector, key: str) -> Any:
    return connector.settings.get(key) if key else None


def validate(*, connector: Connector, incoming: IncomingEvent) -> list[FieldError]:
    rewards = _rewards(connector)
    if rewards is None or incoming.event_type != rewards.request_type:
        return []
    request = rewards.request_read(incoming)
    unknown = set(
        trigger_references_check(
            connector_id=connector.pk,
            references=request.triggers,
            refuse_unknown=bool(_setting(connector, rewards.refuse_unknown_setting)),
        )
    )
    return [
        FieldError(path, f"Unknown trigger reference {reference!r} for this connector")
        for path, reference in zip(request.trigger_paths, request.triggers, strict=True)
        if reference in unknown
    ]


def _same_triggers(request: RewardRequest, other: RewardRequest) -> bool:
    return request.identity == other.identity and sorted(set(request.triggers)) == sorted(set(other.triggers))


def _stored_under_reference(event: Event, rewards: RewardHandling, request: RewardRequest) -> str:
    """Why ``event`` repeats a trigger stored while the source id was the sender's reference alone."""
    if not request.reference:
        return ""
    earlier = (
        Event.objects.filter(
            connector=event.connector,
            direction=Direction.IN,
            event_type=rewards.request_type,
            source_event_id=request.reference,
        )
        .only("public_id", "event_type", "source_event_id", "identity", "occurred_at", "context")
        .first()
    )
    if earlier is None or not _same_triggers(request, rewards.request_read(earlier.incoming())):
        return ""
    return (
        f"A repeat of event {earlier.public_id}: the same wallet transaction reference, identity and triggers "
        "(a Segment retry); not sent again."
    )


def _within_window(event: Event, rewards: RewardHandling, request: RewardRequest) -> str:
    """Why ``event`` falls in its connector's "same identity and triggers count once" window."""
    seconds = int(_setting(event.connector, rewards.window_setting) or 0)
    if seconds <= 0:
        return ""
    window = trigger_window_claim(
        connector_id=event.connector.pk,
        key=request.window_key,
        seconds=seconds,
        now=event.received_at,
        event_public_id=event.public_id,
    )
    if window is None:
        return ""
    return (
        f"Counted once: event {window.counted_event} sent the same identity and triggers, and this connector "
        f"counts them once within {seconds} s (until {window.counted_until:%Y-%m-%d %H:%M:%S} UTC); not sent."
    )


def repeat_suppress(*, event: Event) -> bool:
    """Whether an inbound trigger about to be stored repeats one already sent; if so it is marked
    ignored with the reason, to be stored with nothing to send and answered as a duplicate.

    Called inside the transaction that stores the event, before its insert, so what it claims is
    undone if the insert finds the event is a duplicate itself.
    """
    rewards = _rewards(event.connector)
    if rewards is None or (event.direction, event.event_type, event.status) != (
        Direction.IN,
        rewards.request_type,
        Event.Status.TRANSLATED,
    ):
        return False
    request = rewards.request_read(event.incoming())
    reason = _stored_under_reference(event, rewards, request) or _within_window(event, rewards, request)
    if not reason:
        return False
    event.status = Event.Status.IGNORED
    event.error = reason
    return True


def _reward_events(rewards: RewardHandling) -> list[tuple[Direction, str]]:
    """The (direction, event type) of the events the ledger records for a kind."""
    wanted = [(Direction.IN, rewards.request_type)]
    if rewards.notification_type:
        wanted.append((Direction.OUT, rewards.notification_type))
    return wanted


def on_event_stored_wanted(*, direction: str, event_type: str) -> bool:
    """Whether ``on_event_stored`` may have anything to record for such an event: whether any kind
    requests rewards with such inbound events or reports them with such outbound ones."""
    for kind in kinds().values():
        rewards = kind.rewards
        if rewards is not None and (direction, event_type) in _reward_events(rewards):
            return True
    return False


def on_event_stored(*, event: Event, deliveries: list[Delivery]) -> None:
    rewards = _rewards(event.connector)
    if rewards is None:
        return
    direction_and_type = (event.direction, event.event_type)
    if direction_and_type == (Direction.IN, rewards.request_type):
        request = rewards.request_read(event.incoming())
        for delivery in deliveries:
            if delivery.destination == rewards.destination:
                reward_request_record(
                    connector_id=event.connector.pk,
                    request_event_id=event.pk,
                    delivery_id=delivery.pk,
                    identity=request.identity,
                    triggers=request.triggers,
                    reference=delivery.idempotency_key,
                )
    elif rewards.notification_type and direction_and_type == (Direction.OUT, rewards.notification_type):
        award = rewards.notification_read(event.incoming())
        reward_follow_up_link(
            client_id=event.connector.client_id,
            follow_up_event_id=event.pk,
            reference=award.reference,
            points=award.points,
            coupons=award.coupons,
        )


def on_delivery_finished(*, delivery: Delivery, succeeded: bool, reason: str, result: dict[str, Any] | None) -> None:
    rewards = _rewards(delivery.connector)
    if rewards is None or delivery.destination != rewards.destination:
        return
    award = rewards.answer_read(result or {})
    reward_outcome_record(
        delivery_id=delivery.pk,
        succeeded=succeeded,
        status_code=delivery.last_status_code,
        reason=reason,
        transaction_id=award.transaction_id,
        points=award.points,
        coupons=award.coupons,
        already_processed=award.already_processed,
    )
