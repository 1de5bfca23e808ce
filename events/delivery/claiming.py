"""Claiming due deliveries: taking them atomically, and giving back those that are not sent.

A claimed row is *delivering* and counts the attempt being made; a row given back (held, released,
made to wait) has that attempt uncounted, as if it had never been claimed.
"""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from connectors.kinds.registry import kind_get
from events.delivery.destinations import Admission
from events.models import Delivery


def delivery_claim(*, delivery_id: int, now: datetime | None = None) -> bool:
    """Atomically move a due row to *delivering*. Only one caller can win."""
    return bool(deliveries_claim(delivery_ids=[delivery_id], now=now or timezone.now()))


def _due(now: datetime) -> QuerySet[Delivery]:
    return Delivery.objects.select_for_update(skip_locked=True, of=("self",)).filter(
        status__in=Delivery.DUE_STATUSES, next_attempt_at__lte=now
    )


def deliveries_claim(*, delivery_ids: list[int], now: datetime, top_up: bool = False) -> list[Delivery]:
    """Move the due rows among ``delivery_ids`` to *delivering*; return them with their connectors.

    ``top_up``: also claim other due rows of the same connectors, when their kind merges requests,
    up to ``DELIVERY_BATCH_SIZE`` rows in all, oldest first (index ``delivery_connector_due``).
    Under load a hint then carries a full batch to the destination whatever the hints held; the
    hints of rows taken this way find nothing left to do.

    The rows are locked while being claimed and rows another transaction holds are skipped, so
    exactly one worker claims each. SQLite has no row locks: its IMMEDIATE transactions take the
    write lock at BEGIN and run claims one after the other. The returned rows keep the status they
    had before (``deliveries_release`` puts it back) and count this attempt.
    """
    with transaction.atomic():
        deliveries = list(_due(now).select_related("connector").filter(pk__in=delivery_ids).order_by("pk"))
        room = settings.DELIVERY_BATCH_SIZE - len(deliveries)
        merging = {delivery.connector_id for delivery in deliveries if kind_get(delivery.connector.kind).merge}
        for connector_id in sorted(merging) if top_up else ():
            if room <= 0:
                break
            more = list(
                _due(now).select_related("connector")
                .filter(connector_id=connector_id)
                .exclude(pk__in=[delivery.pk for delivery in deliveries])
                .order_by("next_attempt_at")[:room]
            )
            deliveries += more
            room -= len(more)
        if deliveries:
            Delivery.objects.filter(pk__in=[delivery.pk for delivery in deliveries]).update(
                status=Delivery.Status.DELIVERING,
                claim_expires_at=now + timedelta(seconds=settings.DELIVERY_CLAIM_SECONDS),
                enqueued_at=None,
                attempts=F("attempts") + 1,
            )
    for delivery in deliveries:
        delivery.attempts += 1
    return sorted(deliveries, key=lambda delivery: delivery.pk)


def deliveries_hold(deliveries: list[Delivery], **reason: str) -> None:
    """Hold claimed rows, this attempt uncounted; ``reason``: ``last_error``, when not a pause."""
    Delivery.objects.filter(pk__in=[delivery.pk for delivery in deliveries]).update(
        status=Delivery.Status.HELD,
        attempts=F("attempts") - 1,
        claim_expires_at=None,
        next_attempt_at=None,
        **reason,
    )


def deliveries_release(deliveries: list[Delivery], **changes: Any) -> dict[int, str]:
    """Give back claimed rows that were not sent: still due, this attempt uncounted, hinted again
    by the next sweep. ``changes``: when they are due again, and why, if they must wait."""
    statuses = {delivery.pk: delivery.status for delivery in deliveries}
    for status in set(statuses.values()):
        Delivery.objects.filter(
            pk__in=[pk for pk, was in statuses.items() if was == status], status=Delivery.Status.DELIVERING
        ).update(status=status, attempts=F("attempts") - 1, claim_expires_at=None, enqueued_at=None, **changes)
    return statuses


def deliveries_wait(deliveries: tuple[Delivery, ...], admission: Admission) -> dict[int, str]:
    """Deliveries whose destination may not be sent to now wait, uncounted, until it may."""
    changes: dict[str, datetime | str | None] = {"next_attempt_at": admission.wait_until}
    if admission.reason:
        changes["last_error"] = admission.reason
    return deliveries_release(list(deliveries), **changes)
