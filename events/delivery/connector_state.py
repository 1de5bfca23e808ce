"""What a connector's state does to its deliveries: paused or disabled holds what is due, active
releases what is held.

``connectors.services.connector_state_set`` is the one way to change a state, whatever the door
(the connector admin, the console's health page, the Config API); it calls
:func:`state_deliveries_apply` in its transaction, registered by ``events.apps.EventsConfig.ready``
because ``connectors`` may not import the delivery log. The sweeper calls :func:`held_release`
for what was held after its connector became active.
"""

from datetime import timedelta
from typing import TYPE_CHECKING

from django.utils import timezone

from connectors.models import Connector
from connectors.services import DeliveriesMoved, connector_config
from events.models import Delivery, DeliveryAttempt

if TYPE_CHECKING:  # for annotations only: who acted is whatever user the request carries
    from django.contrib.auth.models import AnonymousUser, User


def state_deliveries_apply(
    *, connector: Connector, user: "User | AnonymousUser | None" = None, per_second: int = 50
) -> DeliveriesMoved:
    """Make the deliveries follow the connector's state (just set): held unless it is active."""
    if connector.state == Connector.State.ACTIVE:
        return DeliveriesMoved(released=held_release(connector=connector, user=user, per_second=per_second))
    return DeliveriesMoved(held=due_hold(connector=connector))


def due_hold(*, connector: Connector) -> int:
    """Hold the connector's due deliveries (its events are still stored) until it is active again."""
    return Delivery.objects.filter(connector=connector, status__in=Delivery.DUE_STATUSES).update(
        status=Delivery.Status.HELD, next_attempt_at=None
    )


def held_release(
    *, connector: Connector, user: "User | AnonymousUser | None" = None, per_second: int = 50
) -> int:
    """Make the held deliveries of an active connector due again, oldest first, ``per_second`` a
    second, so the destination is not flooded. Held while its secrets cannot be decrypted, a
    connector keeps them held."""
    if connector.state != Connector.State.ACTIVE or connector_config(connector).secrets_unreadable:
        return 0
    now = timezone.now()
    held = list(
        Delivery.objects.filter(connector=connector, status=Delivery.Status.HELD)
        .order_by("created_at")
        .values_list("id", flat=True)
    )
    for offset in range(0, len(held), per_second):
        Delivery.objects.filter(pk__in=held[offset : offset + per_second], status=Delivery.Status.HELD).update(
            status=Delivery.Status.PENDING,
            next_attempt_at=now + timedelta(seconds=offset // per_second),
            enqueued_at=None,
            last_error="",
            next_trigger=DeliveryAttempt.Trigger.RESUME,
            next_triggered_by=user,
        )
    return len(held)
