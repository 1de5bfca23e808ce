"""The dashboard's figures: five-minute rollups for what happened, live counts for what waits.

Rollups are recomputed from beat every minute (the last bucket is partial until its five minutes
are over), so the dashboard reads a few hundred rows instead of scanning the log.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Min, Sum
from django.db.models.functions import TruncHour
from django.utils import timezone

from connectors.models import Connector
from events.models import ROLLUP_LATENCY_BOUNDS_MS, ROLLUP_LATENCY_FIELDS, Delivery, DeliveryRollup, Event

BUCKET = timedelta(minutes=5)
ROLLUP_CATCH_UP = timedelta(days=1)
WINDOWS = {"hour": timedelta(hours=1), "day": timedelta(days=1), "week": timedelta(days=7)}
# Points on the chart per window: five minutes, an hour, six hours.
CHART_STEP = {"hour": timedelta(minutes=5), "day": timedelta(hours=1), "week": timedelta(hours=6)}


def bucket_floor(moment: datetime) -> datetime:
    return moment.replace(minute=moment.minute - moment.minute % 5, second=0, microsecond=0)


def latency_slot(milliseconds: float) -> int:
    """The histogram slot for a latency: the first bound it fits under, or the overflow slot."""
    return next(
        (i for i, bound in enumerate(ROLLUP_LATENCY_BOUNDS_MS) if milliseconds <= bound),
        len(ROLLUP_LATENCY_BOUNDS_MS),
    )


def latency_percentile(histogram: list[int], fraction: float) -> int | None:
    """The bound (ms) under which ``fraction`` of the deliveries fall; None without deliveries,
    -1 when it lies past the last bound."""
    total = sum(histogram)
    if not total:
        return None
    running = 0
    for slot, count in enumerate(histogram):
        running += count
        if running >= fraction * total:
            return ROLLUP_LATENCY_BOUNDS_MS[slot] if slot < len(ROLLUP_LATENCY_BOUNDS_MS) else -1
    return -1


def _rollup_bucket(start: datetime, computed_at: datetime) -> None:
    end = start + BUCKET
    rows: dict[int, dict] = {}

    def row(connector_id: int) -> dict:
        return rows.setdefault(
            connector_id,
            {"received": 0, "delivered": 0, "failed": 0, **dict.fromkeys(ROLLUP_LATENCY_FIELDS, 0)},
        )

    received = Event.objects.filter(received_at__gte=start, received_at__lt=end).order_by()
    for item in received.values("connector_id").annotate(n=Count("id")):
        row(item["connector_id"])["received"] = item["n"]
    delivered = Delivery.objects.filter(
        status=Delivery.Status.SUCCEEDED, delivered_at__gte=start, delivered_at__lt=end
    ).order_by()
    for connector_id, created_at, delivered_at in delivered.values_list(
        "connector_id", "created_at", "delivered_at"
    ):
        figures = row(connector_id)
        figures["delivered"] += 1
        slot = latency_slot((delivered_at - created_at).total_seconds() * 1000)
        figures[ROLLUP_LATENCY_FIELDS[slot]] += 1
    failed = Delivery.objects.filter(status=Delivery.Status.FAILED, updated_at__gte=start, updated_at__lt=end)
    for item in failed.order_by().values("connector_id").annotate(n=Count("id")):
        row(item["connector_id"])["failed"] = item["n"]
    for connector_id, figures in rows.items():
        DeliveryRollup.objects.update_or_create(
            connector_id=connector_id,
            bucket_start=start,
            defaults={**figures, "computed_at": computed_at},
        )


def rollups_refresh(*, now: datetime | None = None, since: datetime | None = None) -> int:
    """Recompute the buckets from the last one computed (it may have been partial) up to now;
    after an outage at most a day back unless ``since`` says otherwise. Returns buckets done."""
    now = now or timezone.now()
    if since is None:
        latest = (
            DeliveryRollup.objects.order_by("-bucket_start").values_list("bucket_start", flat=True).first()
        )
        since = max(latest, now - ROLLUP_CATCH_UP) if latest else now - timedelta(hours=1)
    start = bucket_floor(since)
    done = 0
    while start <= now:
        _rollup_bucket(start, now)
        start += BUCKET
        done += 1
    return done


@dataclass(frozen=True)
class Figures:
    connector: Connector | None  # None for the totals row
    received: int = 0
    delivered: int = 0
    failed: int = 0
    retrying: int = 0
    held: int = 0
    due: int = 0
    oldest_due_at: datetime | None = None
    latency_p50_ms: int | None = None
    latency_p95_ms: int | None = None

    @property
    def backlog(self) -> int:
        return self.due + self.held


@dataclass(frozen=True)
class Dashboard:
    window: str
    since: datetime
    now: datetime
    totals: Figures
    rows: list[Figures]
    series: list[tuple[datetime, int, int, int]]  # (start, received, delivered, failed)
    retention_succeeded_days: int
    retention_failed_days: int
    oldest_kept_at: datetime | None


def _live(connector_ids: list[int], now: datetime) -> dict[int, dict]:
    live: dict[int, dict] = {}
    waiting = Delivery.objects.filter(
        connector_id__in=connector_ids, status__in=[Delivery.Status.RETRYING, Delivery.Status.HELD]
    )
    for item in waiting.order_by().values("connector_id", "status").annotate(n=Count("id")):
        live.setdefault(item["connector_id"], {})[item["status"]] = item["n"]
    due = Delivery.objects.filter(
        connector_id__in=connector_ids, status__in=Delivery.DUE_STATUSES, next_attempt_at__lte=now
    )
    for item in due.order_by().values("connector_id").annotate(n=Count("id"), oldest=Min("next_attempt_at")):
        live.setdefault(item["connector_id"], {}).update(due=item["n"], oldest=item["oldest"])
    return live


def _figures(connector, sums: dict, live: dict) -> Figures:
    histogram = [sums.get(field) or 0 for field in ROLLUP_LATENCY_FIELDS]
    return Figures(
        connector=connector,
        received=sums.get("received") or 0,
        delivered=sums.get("delivered") or 0,
        failed=sums.get("failed") or 0,
        retrying=live.get(Delivery.Status.RETRYING, 0),
        held=live.get(Delivery.Status.HELD, 0),
        due=live.get("due", 0),
        oldest_due_at=live.get("oldest"),
        latency_p50_ms=latency_percentile(histogram, 0.5),
        latency_p95_ms=latency_percentile(histogram, 0.95),
    )


def _series(rollups, window: str, since: datetime, now: datetime) -> list[tuple[datetime, int, int, int]]:
    step = CHART_STEP[window]
    points: dict[datetime, list[int]] = {}
    start = since
    while start <= now:
        points[start] = [0, 0, 0]
        start += step
    if window == "hour":
        grouped = rollups.values("bucket_start").annotate(
            r=Sum("received"), d=Sum("delivered"), f=Sum("failed")
        )
        rows = ((item["bucket_start"], item) for item in grouped.order_by())
    else:
        grouped = (
            rollups.annotate(hour=TruncHour("bucket_start"))
            .values("hour")
            .annotate(r=Sum("received"), d=Sum("delivered"), f=Sum("failed"))
        )
        rows = ((item["hour"], item) for item in grouped.order_by())
    for moment, item in rows:
        slot = since + step * int((moment - since) / step)
        if slot in points:
            for index, key in enumerate(("r", "d", "f")):
                points[slot][index] += item[key] or 0
    return [(moment, *counts) for moment, counts in points.items()]


def dashboard_figures(
    *, window: str = "day", client_id: int | None = None, connector_id: int | None = None, now=None
) -> Dashboard:
    """Received, delivered, failed and latency over the window from rollups; retrying, held,
    due and the oldest due delivery live. One row per connector in scope, and the totals."""
    now = now or timezone.now()
    window = window if window in WINDOWS else "day"
    since = (
        bucket_floor(now - WINDOWS[window])
        if window == "hour"
        else (now - WINDOWS[window]).replace(minute=0, second=0, microsecond=0)
    )
    if window == "week":
        since = since.replace(hour=since.hour - since.hour % 6)
    connectors = Connector.objects.select_related("client").order_by("client__name", "name")
    if client_id:
        connectors = connectors.filter(client_id=client_id)
    if connector_id:
        connectors = connectors.filter(pk=connector_id)
    connectors = list(connectors)
    ids = [c.pk for c in connectors]
    rollups = DeliveryRollup.objects.filter(connector_id__in=ids, bucket_start__gte=since)
    measures = ("received", "delivered", "failed", *ROLLUP_LATENCY_FIELDS)
    per_connector = {
        item["connector_id"]: item
        for item in rollups.order_by().values("connector_id").annotate(**{m: Sum(m) for m in measures})
    }
    live = _live(ids, now)
    rows = [_figures(c, per_connector.get(c.pk, {}), live.get(c.pk, {})) for c in connectors]
    totals_sums = {m: sum((per_connector.get(i, {}).get(m) or 0) for i in ids) for m in measures}
    totals_live = {
        Delivery.Status.RETRYING: sum(r.retrying for r in rows),
        Delivery.Status.HELD: sum(r.held for r in rows),
        "due": sum(r.due for r in rows),
        "oldest": min((r.oldest_due_at for r in rows if r.oldest_due_at), default=None),
    }
    return Dashboard(
        window=window,
        since=since,
        now=now,
        totals=_figures(None, totals_sums, totals_live),
        rows=rows,
        series=_series(rollups, window, since, now),
        retention_succeeded_days=settings.RETENTION_SUCCEEDED_DAYS,
        retention_failed_days=settings.RETENTION_FAILED_DAYS,
        oldest_kept_at=Delivery.objects.order_by("created_at").values_list("created_at", flat=True).first(),
    )
