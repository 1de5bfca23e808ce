"""What ``/metrics`` reports from the database, read when Prometheus scrapes.

Read at scrape time rather than counted in the processes, so every web process answers the same
figures, and what only the workers see (deliveries, attempts, circuits) is there too. The counts
of what happened come from the dashboard's five-minute rollups (refreshed every minute by beat,
never pruned), so a scrape reads a few rows per connector instead of scanning the log; what waits
is counted live, on the indexes the sweeper uses. A fixed number of queries, however many
connectors there are; none of it touches a webhook.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Min, Sum
from django.utils import timezone

from connectors.models import Connector
from events.destination_models import DestinationCircuit
from events.models import ROLLUP_LATENCY_FIELDS, Delivery, DeliveryAttempt, DeliveryRollup

# Attempts are reported for this window before the scrape: the attempt log is pruned by retention,
# so a count over all of it would neither be cheap nor only ever grow.
ATTEMPTS_WINDOW = timedelta(minutes=1)
# Deliveries that are neither done nor waiting for a person: what the backlog is made of.
BACKLOG_STATUSES = (
    Delivery.Status.PENDING,
    Delivery.Status.DELIVERING,
    Delivery.Status.RETRYING,
    Delivery.Status.HELD,
)
STATUS_CLASSES = ("2xx", "3xx", "4xx", "5xx", "none")


def status_class(status: int | None) -> str:
    """``2xx`` … ``5xx`` for an answer, ``none`` for an attempt that got none (timeout, network)."""
    if status is None or not 200 <= status <= 599:
        return "none"
    return f"{status // 100}xx"


@dataclass(frozen=True)
class ConnectorInfo:
    public_id: str
    client: str
    kind: str
    name: str
    state: str


@dataclass(frozen=True)
class ConnectorCounts:
    """Counts since the first rollup: events stored, deliveries succeeded and failed for good, and
    the succeeded deliveries' created → delivered latency per ``ROLLUP_LATENCY_BOUNDS_MS`` slot."""

    received: int = 0
    delivered: int = 0
    failed: int = 0
    latency: tuple[int, ...] = (0,) * len(ROLLUP_LATENCY_FIELDS)


@dataclass(frozen=True)
class CircuitState:
    connector_id: int
    destination: str
    state: str
    consecutive_failures: int


@dataclass(frozen=True)
class MetricsSnapshot:
    now: datetime
    connectors: dict[int, ConnectorInfo]
    counts: dict[int, ConnectorCounts]
    # (connector id, status) → deliveries in that status, for BACKLOG_STATUSES
    backlog: dict[tuple[int, str], int]
    due: dict[int, int]
    oldest_due_at: dict[int, datetime]
    # (connector id, status class) → attempts started within ATTEMPTS_WINDOW
    recent_attempts: dict[tuple[int, str], int] = field(default_factory=dict)
    circuits: list[CircuitState] = field(default_factory=list)


def _connectors() -> dict[int, ConnectorInfo]:
    rows = Connector.objects.order_by("pk").values_list("pk", "public_id", "client__slug", "kind", "name", "state")
    return {
        pk: ConnectorInfo(public_id=str(public_id), client=client, kind=kind, name=name, state=state)
        for pk, public_id, client, kind, name, state in rows
    }


def _counts() -> dict[int, ConnectorCounts]:
    measures = ("received", "delivered", "failed", *ROLLUP_LATENCY_FIELDS)
    sums = DeliveryRollup.objects.order_by().values("connector_id").annotate(**{m: Sum(m) for m in measures})
    return {
        row["connector_id"]: ConnectorCounts(
            received=row["received"] or 0,
            delivered=row["delivered"] or 0,
            failed=row["failed"] or 0,
            latency=tuple(row[name] or 0 for name in ROLLUP_LATENCY_FIELDS),
        )
        for row in sums
    }


def _recent_attempts(since: datetime) -> dict[tuple[int, str], int]:
    rows = (
        DeliveryAttempt.objects.filter(started_at__gte=since)
        .order_by()
        .values("delivery__connector_id", "response_status")
        .annotate(n=Count("id"))
    )
    attempts: dict[tuple[int, str], int] = defaultdict(int)
    for row in rows:
        attempts[(row["delivery__connector_id"], status_class(row["response_status"]))] += row["n"]
    return dict(attempts)


def metrics_read(*, now: datetime | None = None) -> MetricsSnapshot:
    """Everything ``/metrics`` reports from the database, in six queries."""
    now = now or timezone.now()
    waiting = Delivery.objects.filter(status__in=BACKLOG_STATUSES).order_by()
    backlog = {
        (row["connector_id"], row["status"]): row["n"]
        for row in waiting.values("connector_id", "status").annotate(n=Count("id"))
    }
    due_rows = (
        Delivery.objects.filter(status__in=Delivery.DUE_STATUSES, next_attempt_at__lte=now)
        .order_by()
        .values("connector_id")
        .annotate(n=Count("id"), oldest=Min("next_attempt_at"))
    )
    due: dict[int, int] = {}
    oldest_due_at: dict[int, datetime] = {}
    for row in due_rows:
        due[row["connector_id"]] = row["n"]
        oldest_due_at[row["connector_id"]] = row["oldest"]
    circuits = [
        CircuitState(connector_id=c, destination=d, state=s, consecutive_failures=f)
        for c, d, s, f in DestinationCircuit.objects.order_by("connector_id", "destination").values_list(
            "connector_id", "destination", "state", "consecutive_failures"
        )
    ]
    return MetricsSnapshot(
        now=now,
        connectors=_connectors(),
        counts=_counts(),
        backlog=backlog,
        due=due,
        oldest_due_at=oldest_due_at,
        recent_attempts=_recent_attempts(now - ATTEMPTS_WINDOW),
        circuits=circuits,
    )
