"""A connector's state and what it does to its deliveries: pause holds what is due, resume and
enable release it. Every door (the console's health page, the connector admin, the Config API,
the sweeper) goes through here, so no door can change the state and forget the deliveries."""

from datetime import timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from connectors.models import Connector
from connectors.services import connector_config, connector_state_set
from events.models import Delivery, DeliveryAttempt

if TYPE_CHECKING:  # for annotations only: who acted is whatever user the request carries
    from django.contrib.auth.models import AnonymousUser, User


@transaction.atomic
def connector_pause(*, connector: Connector, user: "User | AnonymousUser | None" = None) -> int:
    """Pause: events are still accepted; due deliveries are held until resumed."""
    connector_state_set(connector=connector, state=Connector.State.PAUSED, user=user)
    return Delivery.objects.filter(connector=connector, status__in=Delivery.DUE_STATUSES).update(
        status=Delivery.Status.HELD, next_attempt_at=None
    )


@transaction.atomic
def connector_resume(
    *, connector: Connector, user: "User | AnonymousUser | None" = None, per_second: int = 50
) -> int:
    """Resume and release held deliveries, spread at ``per_second`` so the destination is not flooded."""
    connector_state_set(connector=connector, state=Connector.State.ACTIVE, user=user)
    return held_release(connector=connector, user=user, per_second=per_second)


def held_release(
    *, connector: Connector, user: "User | AnonymousUser | None" = None, per_second: int = 50
) -> int:
    """Make the held deliveries of an active connector due again, oldest first, ``per_second`` a
    second. Whatever made the connector active (Resume, Enable, the API) releases them: the
    sweeper calls this for every active connector that still holds deliveries. Held while its
    secrets cannot be decrypted, a connector keeps them held."""
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
