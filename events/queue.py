"""Hints to the workers that a delivery is due. The Delivery row stays the source of truth.

Tasks are sent by name so that services never import the task module (layering), and a broker
that is down never fails the caller: the sweeper re-sends hints for rows whose hint is stale.
"""

import logging
from collections.abc import Iterable

from celery import current_app
from django.db import transaction

logger = logging.getLogger(__name__)

DELIVERY_TASK = "events.delivery_attempt"


def deliveries_enqueue(delivery_ids: Iterable[int]) -> list[int]:
    """Send a hint per id; return the ids whose hint could not be sent."""
    unsent = []
    for delivery_id in delivery_ids:
        try:
            current_app.send_task(DELIVERY_TASK, args=[delivery_id])
        except Exception:  # any broker failure: the row is safe, the sweeper retries the hint
            logger.warning("Broker unavailable; delivery %s will be picked up by the sweeper", delivery_id)
            unsent.append(delivery_id)
    return unsent


def deliveries_enqueue_on_commit(delivery_ids: list[int]) -> None:
    if not delivery_ids:
        return

    def _send():
        from events.models import Delivery

        unsent = deliveries_enqueue(delivery_ids)
        if unsent:
            Delivery.objects.filter(pk__in=unsent).update(enqueued_at=None)

    transaction.on_commit(_send)
