"""Celery tasks: thin. They take ids, call one service, and own nothing but their scheduling."""

import logging

from celery import Task, shared_task

from core.logs import log_context
from events import task_names
from events.console.alerts import alerts_evaluate, alerts_reconcile
from events.delivery.deliver import deliveries_attempt, delivery_attempt
from events.delivery.maintenance import deliveries_sweep, log_prune

logger = logging.getLogger(__name__)
# Celery ships no types: its task decorator is untyped, hence the ignores on each task below.


@shared_task(name=task_names.DELIVERY_ATTEMPT, bind=True, acks_late=True, reject_on_worker_lost=True)  # type: ignore[untyped-decorator]
def delivery_attempt_task(self: Task, delivery_id: int) -> str | None:
    with log_context(delivery_id=delivery_id):
        return delivery_attempt(delivery_id=delivery_id, task_id=self.request.id or "")


# Acknowledged on receipt: the rows are the outbox, so a hint lost with its worker costs only time
# (claimed rows come back when their claim expires, unclaimed ones when their hint goes stale),
# and the broker is never acknowledged from a pool thread while its connection is being re-made.
@shared_task(name=task_names.DELIVERIES_ATTEMPT, bind=True, acks_late=False)  # type: ignore[untyped-decorator]
def deliveries_attempt_task(self: Task, delivery_ids: list[int]) -> dict[int, str]:
    with log_context(delivery_ids=delivery_ids):
        return deliveries_attempt(delivery_ids=delivery_ids, task_id=self.request.id or "", top_up=True)


@shared_task(name=task_names.DELIVERIES_SWEEP, ignore_result=True)  # type: ignore[untyped-decorator]
def deliveries_sweep_task() -> dict[str, int]:
    result = deliveries_sweep()
    # Every few seconds: a line only when it found something (Celery's own lines are filtered out,
    # task_names.ROUTINE), since a sweep that finds work means hints were lost or workers died.
    level = logging.INFO if (result.reclaimed or result.enqueued or result.released) else logging.DEBUG
    logger.log(
        level, "Sweep: %d due deliveries hinted again, %d reclaimed from stopped workers, %d held released",
        result.enqueued, result.reclaimed, result.released,
    )
    return {"reclaimed": result.reclaimed, "enqueued": result.enqueued, "released": result.released}


@shared_task(name=task_names.LOG_PRUNE, ignore_result=True, time_limit=300, soft_time_limit=240)  # type: ignore[untyped-decorator]
def log_prune_task() -> dict[str, int]:
    result = log_prune(seconds=200)
    return {"deliveries": result.deliveries, "attempts": result.attempts, "events": result.events}


@shared_task(name=task_names.ALERTS_EVALUATE, ignore_result=True, time_limit=120, soft_time_limit=100)  # type: ignore[untyped-decorator]
def alerts_evaluate_task() -> dict[str, int]:
    """Every minute: raise the alerts whose condition holds, send those not sent yet."""
    result = alerts_evaluate(seconds=50)
    return {"raised": len(result.raised), "notified": result.notified}


@shared_task(name=task_names.RECONCILE_RECENT, ignore_result=True, time_limit=300, soft_time_limit=240)  # type: ignore[untyped-decorator]
def reconcile_recent_task() -> dict[str, int]:
    """Every ten minutes: reconcile the last hour but the most recent minutes; alert on orphans."""
    report, raised = alerts_reconcile()
    return {"orphaned": report.orphan_count, "alerts": len(raised)}
