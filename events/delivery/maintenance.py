"""Beat work: re-send hints for due rows and reclaim rows whose worker died; prune the log."""

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from connectors.models import Connector
from events.delivery.connector_state import held_release
from events.delivery.queue import deliveries_enqueue
from events.models import Delivery, DeliveryAttempt, Event
from rewards.services import trigger_windows_ended


@dataclass(frozen=True)
class SweepResult:
    reclaimed: int
    enqueued: int
    released: int = 0


def deliveries_sweep(*, limit: int = 1000, now: datetime | None = None) -> SweepResult:
    now = now or timezone.now()
    # A claim that expired means its worker died mid-attempt: the attempt counts, the row is due.
    reclaimed = Delivery.objects.filter(status=Delivery.Status.DELIVERING, claim_expires_at__lt=now).update(
        status=Delivery.Status.RETRYING, claim_expires_at=None, next_attempt_at=now, enqueued_at=None,
        last_error="The worker stopped during the attempt; retrying",
    )
    # A hint older than this is presumed lost (broker restarted, message dropped, web process
    # stopped before its hint thread sent it) and is sent again.
    stale = now - timedelta(seconds=settings.DELIVERY_HINT_STALE_SECONDS)
    with transaction.atomic():
        due = (
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(status__in=Delivery.DUE_STATUSES, next_attempt_at__lte=now)
            .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=stale))
            .order_by("next_attempt_at")
            .values_list("id", flat=True)[:limit]
        )
        ids = list(due)
        Delivery.objects.filter(pk__in=ids).update(enqueued_at=now)
    unsent = deliveries_enqueue(ids)
    # Enable and Resume release what is held at once (connectors.services.connector_state_set); what
    # was held after that (an event received while the state changed, secrets readable again) is
    # released here.
    stranded = Connector.objects.filter(
        state=Connector.State.ACTIVE, pk__in=Delivery.objects.filter(status=Delivery.Status.HELD).values("connector_id")
    )
    released = sum(held_release(connector=connector) for connector in stranded)
    return SweepResult(reclaimed=reclaimed, enqueued=len(ids) - len(unsent), released=released)


@dataclass(frozen=True)
class PruneResult:
    deliveries: int
    attempts: int
    events: int
    trigger_windows: int = 0


def _delete_in_batches(queryset: QuerySet[Any], *, batch_size: int, deadline: float) -> int:
    deleted = 0
    model = queryset.model
    while time.monotonic() < deadline:
        ids = list(queryset.values_list("id", flat=True)[:batch_size])
        if not ids:
            break
        deleted += model.objects.filter(pk__in=ids).delete()[1].get(model._meta.label, 0)
    return deleted


def log_prune(*, now: datetime | None = None, batch_size: int | None = None, seconds: float = 60.0) -> PruneResult:
    """Delete the log past its retention, oldest first, in small batches (never one big DELETE).

    Successes (and cancellations) are kept ``RETENTION_SUCCEEDED_DAYS``; failures
    ``RETENTION_FAILED_DAYS``. An event goes once none of its deliveries is left.
    """
    now = now or timezone.now()
    batch_size = batch_size or settings.RETENTION_BATCH_SIZE
    deadline = time.monotonic() + seconds
    succeeded_before = now - timedelta(days=settings.RETENTION_SUCCEEDED_DAYS)
    failed_before = now - timedelta(days=settings.RETENTION_FAILED_DAYS)
    expired = Delivery.objects.filter(
        Q(status__in=[Delivery.Status.SUCCEEDED, Delivery.Status.CANCELLED], created_at__lt=succeeded_before)
        | Q(status=Delivery.Status.FAILED, created_at__lt=failed_before)
    )
    attempts = _delete_in_batches(
        DeliveryAttempt.objects.filter(delivery__in=expired.values("id")), batch_size=batch_size, deadline=deadline
    )
    deliveries = _delete_in_batches(expired, batch_size=batch_size, deadline=deadline)
    events = _delete_in_batches(
        Event.objects.filter(
            # Failed and refused events are kept as long as failed deliveries: support looks for them.
            Q(received_at__lt=succeeded_before) & ~Q(status__in=[Event.Status.FAILED, Event.Status.REFUSED])
            | Q(received_at__lt=failed_before)
        ).filter(deliveries__isnull=True),
        batch_size=batch_size,
        deadline=deadline,
    )
    # A repeat window that ended a day ago guards nothing: the next trigger would claim it anyway.
    trigger_windows = _delete_in_batches(
        trigger_windows_ended(before=now - timedelta(days=1)), batch_size=batch_size, deadline=deadline
    )
    return PruneResult(deliveries=deliveries, attempts=attempts, events=events, trigger_windows=trigger_windows)
