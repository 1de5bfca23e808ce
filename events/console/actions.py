"""What support does to deliveries: retry now, cancel, replay events (pause and resume are
``events.delivery.connector_state``).

Every action records who did it: the next attempt carries the trigger and the user, and
cancellations and replays say who in the delivery's ``last_error``/notes.
"""

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from connectors.models import Connector
from events.delivery.queue import deliveries_enqueue_on_commit
from events.intake.receive import event_redeliver
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
    deliveries, through intake like any event (``event_redeliver``: what a replay keeps and what
    it renews). The old deliveries stay in the log; each new one points at the one it replays and
    says who replayed it."""
    return event_redeliver(event=event, note=f"Replayed by {_who(user)}")
