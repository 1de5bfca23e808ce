"""The support console: find deliveries and events, retry everything a filter matches as a
tracked job, and gather the chain behind one event.

Filters are named by the query-string parameters the admin uses, so a bulk retry saved from a
filtered list replays exactly that filter in the worker.
"""

import contextlib
import logging
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from django.db import connection, transaction
from django.db.models import Field, Q, QuerySet
from django.utils import timezone

from events import task_names
from events.console.actions import deliveries_retry_now
from events.console.params import PERIODS, STATUS_CODE_CLASSES, moment_read
from events.console.search import events_by_keys, events_by_message_id
from events.delivery.queue import task_send
from events.models import BulkRetryJob, Delivery, DeliveryAttempt, Event

if TYPE_CHECKING:  # annotations only: the user is whatever the request carries; rewards may not be installed
    from django.contrib.auth.models import AnonymousUser, User

    from rewards.models import RewardLedgerEntry

logger = logging.getLogger(__name__)

# Search resolves an identity or message id to at most this many events before joining.
SEARCH_EVENT_LIMIT = 500
BULK_BATCH_SIZE = 200


def _time_q(field: str, params: Mapping[str, str], now: datetime) -> Q:
    q = Q()
    if params.get("period") in PERIODS:
        q &= Q(**{f"{field}__gte": now - PERIODS[params["period"]]})
    if params.get("from"):
        q &= Q(**{f"{field}__gte": moment_read(params["from"])})
    if params.get("to"):
        q &= Q(**{f"{field}__lt": moment_read(params["to"], end=True)})
    return q


def _code_q(code_class: str) -> Q:
    if code_class == "none":
        return Q(last_status_code__isnull=True)
    if code_class in STATUS_CODE_CLASSES:
        low = int(code_class[0]) * 100
        return Q(last_status_code__gte=low, last_status_code__lt=low + 100)
    return Q()


def deliveries_filter(
    *, queryset: QuerySet[Delivery], params: Mapping[str, str], now: datetime | None = None
) -> QuerySet[Delivery]:
    """Narrow deliveries by the console's parameters (checked by ``console_params_check``);
    empty ones are no filter."""
    now = now or timezone.now()
    plain = {
        "status": "status",
        "connector": "connector_id",
        "client": "connector__client_id",
        "event": "event_id",
        "destination": "destination",
        "direction": "event__direction",
        "event_type": "event__event_type",
    }
    lookups = {field: params[name] for name, field in plain.items() if params.get(name)}
    queryset = queryset.filter(**lookups).filter(_time_q("created_at", params, now))
    if params.get("code"):
        queryset = queryset.filter(_code_q(params["code"]))
    if params.get("q"):
        queryset = deliveries_search(queryset=queryset, term=params["q"])
    return queryset


def events_filter(
    *, queryset: QuerySet[Event], params: Mapping[str, str], now: datetime | None = None
) -> QuerySet[Event]:
    now = now or timezone.now()
    plain = {
        "status": "status",
        "connector": "connector_id",
        "client": "connector__client_id",
        "event": "pk",
        "direction": "direction",
        "event_type": "event_type",
    }
    lookups = {field: params[name] for name, field in plain.items() if params.get(name)}
    queryset = queryset.filter(**lookups).filter(_time_q("received_at", params, now))
    if params.get("q"):
        queryset = events_search(queryset=queryset, term=params["q"])
    return queryset


def _events_matching(term: str) -> list[int]:
    """Events found by any value support has: the connector's identity, the sender's id, any
    identity of the customer, the wallet, a transaction reference, a messageId sent. Each lookup is
    one index probe (``events.console.search``), no joins in an OR."""
    by_identity_or_id = list(
        Event.objects.filter(Q(identity=term) | Q(source_event_id=term))
        .order_by()
        .values_list("id", flat=True)[:SEARCH_EVENT_LIMIT]
    )
    return [
        *by_identity_or_id,
        *events_by_keys(term=term, limit=SEARCH_EVENT_LIMIT),
        *events_by_message_id(term=term, limit=SEARCH_EVENT_LIMIT),
    ]


def deliveries_search(*, queryset: QuerySet[Delivery], term: str) -> QuerySet[Delivery]:
    """Exact match on any value ``_events_matching`` knows, or a delivery's idempotency key (a
    wallet transaction reference sent to AIR)."""
    term = term.strip()
    if not term:
        return queryset
    return queryset.filter(Q(event_id__in=_events_matching(term)) | Q(idempotency_key=term))


def events_search(*, queryset: QuerySet[Event], term: str) -> QuerySet[Event]:
    term = term.strip()
    if not term:
        return queryset
    by_key = list(
        Delivery.objects.filter(idempotency_key=term)
        .order_by()
        .values_list("event_id", flat=True)[:SEARCH_EVENT_LIMIT]
    )
    q = Q(pk__in=_events_matching(term) + by_key)
    with contextlib.suppress(ValueError):
        q |= Q(public_id=uuid.UUID(term))
    return queryset.filter(q)


# --- bulk retry --------------------------------------------------------------------------------


def _bulk_queryset(filters: Mapping[str, str]) -> QuerySet[Delivery]:
    params = {**filters, "status": Delivery.Status.FAILED}
    return deliveries_filter(queryset=Delivery.objects.all(), params=params)


def bulk_retry_count(*, filters: Mapping[str, str]) -> int:
    """How many failed deliveries the filter matches: shown before the job is confirmed."""
    return _bulk_queryset(filters).order_by().count()


def bulk_retry_job_create(
    *, filters: Mapping[str, str], description: str, user: "User | AnonymousUser | None"
) -> BulkRetryJob:
    """Save the filter and the count it matches now, and hint a worker once committed."""
    # A relative period is fixed to absolute times, so the job retries what the person saw.
    saved = {key: value for key, value in filters.items() if value and key != "status"}
    if saved.get("period") in PERIODS:
        saved["from"] = (timezone.now() - PERIODS[saved.pop("period")]).isoformat()
    # Jobs are started only from views that require a signed-in staff user, never anonymously.
    created_by = cast("User | None", user)
    job = BulkRetryJob.objects.create(
        filters=saved, description=description[:500], total=bulk_retry_count(filters=saved), created_by=created_by
    )
    _job_hint_on_commit(job.pk)
    return job


# A job whose worker has not reported for this long is presumed lost and hinted again.
BULK_STALE = timedelta(minutes=2)


def _job_hint_on_commit(job_id: int) -> None:
    def send() -> None:
        try:
            task_send(task_names.BULK_RETRY_RUN, job_id)
        except Exception:  # any broker failure: bulk_retry_jobs_resume sends the hint again
            logger.warning("Broker unavailable; bulk retry %s starts on the next beat", job_id)

    transaction.on_commit(send)


def bulk_retry_jobs_resume(*, now: datetime | None = None) -> int:
    """Hint again the jobs whose hint or worker was lost (run from beat)."""
    now = now or timezone.now()
    stale = list(
        BulkRetryJob.objects.filter(
            status__in=[BulkRetryJob.Status.PENDING, BulkRetryJob.Status.RUNNING],
            heartbeat_at__lt=now - BULK_STALE,
        ).values_list("pk", flat=True)
    )
    for job_id in stale:
        _job_hint_on_commit(job_id)
    return len(stale)


def bulk_retry_job_run(
    *, job_id: int, batch_size: int = BULK_BATCH_SIZE, seconds: float = 50.0
) -> BulkRetryJob:
    """Retry the job's deliveries in id order, a batch per transaction, until done, cancelled or
    out of time (the task then sends itself again). Progress is visible after every batch."""
    deadline = timezone.now() + timedelta(seconds=seconds)
    BulkRetryJob.objects.filter(pk=job_id, status=BulkRetryJob.Status.PENDING).update(
        status=BulkRetryJob.Status.RUNNING, started_at=timezone.now()
    )
    BulkRetryJob.objects.filter(pk=job_id).update(heartbeat_at=timezone.now())
    job = BulkRetryJob.objects.get(pk=job_id)
    while job.status == BulkRetryJob.Status.RUNNING and timezone.now() < deadline:
        with transaction.atomic():
            job = BulkRetryJob.objects.select_for_update().get(pk=job_id)
            if job.status != BulkRetryJob.Status.RUNNING:
                break
            ids = list(
                _bulk_queryset(job.filters)
                .filter(pk__gt=job.last_delivery_id)
                .order_by("pk")
                .values_list("pk", flat=True)[:batch_size]
            )
            if not ids:
                job.status = BulkRetryJob.Status.COMPLETED
                job.finished_at = timezone.now()
            else:
                job.queued += deliveries_retry_now(
                    delivery_ids=ids, user=job.created_by, trigger=DeliveryAttempt.Trigger.BULK
                )
                job.processed += len(ids)
                job.last_delivery_id = ids[-1]
            job.heartbeat_at = timezone.now()
            job.save(
                update_fields=[
                    "status",
                    "finished_at",
                    "queued",
                    "processed",
                    "last_delivery_id",
                    "heartbeat_at",
                ]
            )
    return job


def bulk_retry_job_outcome(*, job: BulkRetryJob) -> str:
    """What the job did, in a sentence: queued to retry, or not (a delivery that was no longer
    failed when its turn came, or whose connector was disabled, is left as it is)."""
    skipped = job.processed - job.queued
    left = f"; {skipped} left as they were (no longer failed, or their connector disabled)" if skipped else ""
    done = f"{job.queued} of {job.total} deliveries queued to retry{left}"
    if job.status == BulkRetryJob.Status.COMPLETED:
        return f"Completed: {done}."
    if job.status == BulkRetryJob.Status.CANCELLED:
        who = f" by {job.cancelled_by}" if job.cancelled_by else ""
        return f"Cancelled{who} after {job.processed} of {job.total}: {done}."
    if job.status == BulkRetryJob.Status.RUNNING:
        return f"Running: {done} so far."
    return "Waiting for a worker to start it."


def bulk_retry_job_cancel(*, job: BulkRetryJob, user: "User | AnonymousUser | None") -> bool:
    """Stop a job that has not finished; deliveries already queued still go out."""
    return bool(
        BulkRetryJob.objects.filter(
            pk=job.pk, status__in=[BulkRetryJob.Status.PENDING, BulkRetryJob.Status.RUNNING]
        ).update(status=BulkRetryJob.Status.CANCELLED, cancelled_by=user, finished_at=timezone.now())
    )


# --- the chain behind one event ----------------------------------------------------------------


def event_chain(*, event: Event) -> dict[str, "list[Delivery] | list[RewardLedgerEntry] | list[Event]"]:
    """Everything one event caused: its deliveries with every attempt, the reward ledger entries
    it requested or answered, and the follow-up events AIR sent back."""
    from django.apps import apps

    deliveries = list(
        event.deliveries.select_related("replay_of").prefetch_related("attempt_log").order_by("created_at")
    )
    # A local annotation is never evaluated: the name is the TYPE_CHECKING import until imported below.
    ledger: list[RewardLedgerEntry] = []  # noqa: F823
    follow_ups: list[Event] = []
    caused_by: list[Event] = []
    if apps.is_installed("rewards"):
        from rewards.models import RewardLedgerEntry

        ledger = list(
            RewardLedgerEntry.objects.filter(
                Q(request_event=event) | Q(follow_up_event=event) | Q(delivery__in=deliveries)
            ).select_related("follow_up_event", "request_event")
        )
        follow_ups = [e.follow_up_event for e in ledger if e.follow_up_event and e.follow_up_event != event]
        caused_by = [e.request_event for e in ledger if e.request_event and e.request_event != event]
    return {"deliveries": deliveries, "ledger": ledger, "follow_ups": follow_ups, "caused_by": caused_by}


def distinct_values(*, model: type[Delivery] | type[Event], field: str, limit: int = 200) -> list[str]:
    """The distinct values of an indexed column. On PostgreSQL a loose index scan (one index
    probe per value) instead of reading every row; elsewhere a plain DISTINCT."""
    if connection.vendor != "postgresql":
        return list(model.objects.order_by(field).values_list(field, flat=True).distinct()[:limit])
    table = connection.ops.quote_name(model._meta.db_table)
    # The caller names a concrete column of the model, never a relation's reverse side.
    column = connection.ops.quote_name(cast("Field[Any, Any]", model._meta.get_field(field)).column)
    sql = (
        f"WITH RECURSIVE walk(value) AS ("  # noqa: S608 - names come from the model, not the request
        f" (SELECT {column} FROM {table} ORDER BY {column} LIMIT 1)"
        f" UNION ALL SELECT (SELECT {column} FROM {table}"
        f" WHERE {column} > walk.value ORDER BY {column} LIMIT 1)"
        f" FROM walk WHERE walk.value IS NOT NULL"
        f") SELECT value FROM walk WHERE value IS NOT NULL LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [limit])
        return [row[0] for row in cursor.fetchall()]
