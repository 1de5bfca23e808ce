"""What support does to deliveries: retry now, cancel, replay events (pause and resume are
``events.delivery.connector_state``).

Every action records who did it: the next attempt carries the trigger and the user, and
cancellations and replays say who in the delivery's ``last_error``/notes.
"""

from dataclasses import replace
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from connectors.kinds.base import Direction, IncomingEvent
from connectors.kinds.registry import kind_get
from connectors.models import Connector
from connectors.services import connector_config
from events.delivery import hooks
from events.delivery.queue import deliveries_enqueue_on_commit
from events.intake.receive import deliveries_build, event_status, event_translate
from events.models import Delivery, DeliveryAttempt, Event

if TYPE_CHECKING:  # for annotations only: who acted is whatever user the request carries
    from django.contrib.auth.models import AnonymousUser, User

RETRYABLE_BY_HAND = (Delivery.Status.FAILED, Delivery.Status.RETRYING, Delivery.Status.PENDING, Delivery.Status.HELD)
CANCELLABLE = (Delivery.Status.PENDING, Delivery.Status.RETRYING, Delivery.Status.HELD)


def _who(user: "User | AnonymousUser | None") -> str:
    return getattr(user, "get_username", lambda: "system")() if user else "system"


@transaction.atomic
def deliveries_retry_now(
    *,
    delivery_ids: list[int],
    user: "User | AnonymousUser | None" = None,
    trigger: str = DeliveryAttempt.Trigger.MANUAL,
) -> int:
    """Make deliveries due now, whatever their schedule. Returns how many were queued."""
    now = timezone.now()
    rows = Delivery.objects.filter(pk__in=delivery_ids, status__in=RETRYABLE_BY_HAND).exclude(
        connector__state=Connector.State.DISABLED
    )
    ids = list(rows.values_list("id", flat=True))
    Delivery.objects.filter(pk__in=ids).update(
        status=Delivery.Status.PENDING,
        next_attempt_at=now,
        enqueued_at=now,
        next_trigger=trigger,
        next_triggered_by=user,
    )
    deliveries_enqueue_on_commit(ids)
    return len(ids)


@transaction.atomic
def deliveries_cancel(*, delivery_ids: list[int], user: "User | AnonymousUser | None" = None) -> int:
    return Delivery.objects.filter(pk__in=delivery_ids, status__in=CANCELLABLE).update(
        status=Delivery.Status.CANCELLED,
        next_attempt_at=None,
        last_error=f"Cancelled by {_who(user)} at {timezone.now():%Y-%m-%d %H:%M:%S} UTC",
    )


def event_replay(*, event: Event, user: "User | AnonymousUser | None" = None) -> list[Delivery]:
    """Translate a stored event again with the current rules and deliver the result as new
    deliveries. The old deliveries stay in the log; each new one points at the one it replays.

    CDP-bound replays get fresh message ids (Segment would drop a repeated ``messageId`` as a
    duplicate); replays towards a loyalty engine keep the original reference, so a reward that
    was already granted is not granted twice.
    """
    if event.status == Event.Status.REFUSED:
        return []  # a batch's message refused alone was never usable: nothing to translate again
    connector = event.connector
    kind = kind_get(connector.kind)
    config = connector_config(connector)
    now = timezone.now()
    parsed = kind.parse(Direction(event.direction), event.payload, config) if event.payload is not None else []
    incoming = parsed[0] if len(parsed) == 1 else IncomingEvent(
        event_type=event.event_type,
        source_event_id=event.source_event_id,
        identity=event.identity,
        occurred_at=event.occurred_at,
        context=event.context,
    )
    source_event_id = event.source_event_id
    if event.direction == Direction.OUT:
        source_event_id = f"{source_event_id}~r{int(now.timestamp())}"
    incoming = replace(incoming, source_event_id=source_event_id)
    translation = event_translate(
        kind=kind, connector=connector, config=config, direction=event.direction, incoming=incoming
    )
    status, error = event_status(translation)
    previous: dict[str, Delivery] = {}
    for delivery in event.deliveries.order_by("created_at"):
        previous.setdefault(delivery.destination, delivery)
    with transaction.atomic():
        deliveries = deliveries_build(event=event, connector=connector, translation=translation, now=now)
        for delivery in deliveries:
            delivery.replay_of = previous.get(delivery.destination)
            delivery.notes = "\n".join(filter(None, [delivery.notes, f"Replayed by {_who(user)}"]))
        deliveries = Delivery.objects.bulk_create(deliveries)
        # A replayed reward request is a new request to AIR: the ledger records it like the first.
        hooks.on_event_stored(event=event, deliveries=deliveries)
        Event.objects.filter(pk=event.pk).update(
            status=status, error=error, context=incoming.context, replayed_at=now
        )
        deliveries_enqueue_on_commit([d.pk for d in deliveries if d.status == Delivery.Status.PENDING])
    return deliveries
