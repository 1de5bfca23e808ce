"""Alerts: tell people when things go wrong, at most once per condition and window.

Evaluated every minute from beat (``alerts_evaluate``), from the dashboard's rollups and small
indexed queries, never on the webhook path:

- **failure rate** — a connector's deliveries that failed after their last attempt, among those
  that ended in the last ``ALERT_WINDOW_MINUTES``, reach ``ALERT_FAILURE_RATE`` (with at least
  ``ALERT_FAILURE_MIN_DELIVERIES`` ended);
- **deliveries failed** — deliveries of a connector became *failed* in a window;
- **circuit open** — a destination's circuit breaker is open (or probing);
- **orphans** — reconciliation (``alerts_reconcile``, every 10 minutes) found events or deliveries
  nobody will settle in the hour that ended ``RECONCILE_DELAY_MINUTES`` ago.

Windows are fixed (aligned on multiples of the window since the epoch) and an alert's key names
its condition, subject and window, so a condition that holds all through a window raises one alert;
one still holding in the next window raises one more there, as a reminder. Each alert is then
sent once (``events/console/alert_channels.py``) and shown on the dashboard while its window or the
next one lasts (``alerts_active``).
"""

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db.models import Count, Max, Sum
from django.utils import timezone

from connectors.models import Client, Connector
from events.console.alert_channels import alerts_notify
from events.console.dashboard import bucket_floor
from events.delivery.reconcile import Orphan, ReconcileReport, events_reconcile
from events.destination_models import DestinationCircuit
from events.models import Alert, Delivery, DeliveryRollup, Event

logger = logging.getLogger(__name__)

Condition = Alert.Condition


def alert_window() -> timedelta:
    return timedelta(minutes=settings.ALERT_WINDOW_MINUTES)


def window_floor(moment: datetime) -> datetime:
    """The start of the alert window holding ``moment``."""
    seconds = int(alert_window().total_seconds())
    epoch = int(moment.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=UTC)


def _key(condition: str, subject: str, window_start: datetime) -> str:
    return f"{condition}:{subject}:{window_start:%Y-%m-%dT%H:%MZ}"


def _raise(key: str, *, condition: str, window_start: datetime, now: datetime, **fields: object) -> Alert | None:
    """The alert, or None when its key was raised already (by this run's race, too)."""
    alert, created = Alert.objects.get_or_create(
        key=key,
        defaults={
            "condition": condition, "window_start": window_start, "window_end": window_start + alert_window(),
            "raised_at": now, **fields,
        },
    )
    if not created:
        return None
    logger.warning("Alert raised: %s", alert.title)
    return alert


def _raised(keys: Iterable[str]) -> set[str]:
    return set(Alert.objects.filter(key__in=list(keys)).values_list("key", flat=True))


def _minutes() -> int:
    minutes: int = settings.ALERT_WINDOW_MINUTES
    return minutes


def _failure_rates(now: datetime) -> list[Alert]:
    window_start = window_floor(now)
    rows = (
        DeliveryRollup.objects.filter(bucket_start__gte=bucket_floor(now - alert_window()))
        .order_by()
        .values("connector_id")
        .annotate(delivered=Sum("delivered"), failed=Sum("failed"))
    )
    over = {}
    for row in rows:
        ended = row["delivered"] + row["failed"]
        if ended >= settings.ALERT_FAILURE_MIN_DELIVERIES and row["failed"] / ended >= settings.ALERT_FAILURE_RATE:
            over[_key(Condition.FAILURE_RATE, f"connector-{row['connector_id']}", window_start)] = row
    raised, done = [], _raised(over)
    fresh = {key: row for key, row in over.items() if key not in done}
    connectors = Connector.objects.select_related("client").in_bulk([row["connector_id"] for row in fresh.values()])
    for key, row in fresh.items():
        connector = connectors[row["connector_id"]]
        ended = row["delivered"] + row["failed"]
        alert = _raise(
            key, condition=Condition.FAILURE_RATE, window_start=window_start, now=now,
            client=connector.client, connector=connector,
            title=f"{connector}: {row['failed']} of {ended} deliveries failed ({row['failed'] / ended:.0%}) "
            f"in the last {_minutes()} minutes",
            detail=f"The alert threshold is {settings.ALERT_FAILURE_RATE:.0%} of at least "
            f"{settings.ALERT_FAILURE_MIN_DELIVERIES} deliveries ended (ALERT_FAILURE_RATE, "
            "ALERT_FAILURE_MIN_DELIVERIES). Failed deliveries have used all their attempts or were refused "
            "for good; see their last attempt for the reason.",
            figures={"failed": row["failed"], "delivered": row["delivered"], "rate": round(row["failed"] / ended, 4)},
        )
        raised += [alert] if alert else []
    return raised


def _deliveries_failed(now: datetime) -> list[Alert]:
    """Deliveries that became failed in this window or the last one (a failure just before a
    window ends is found by the next run, in the next window)."""
    current = window_floor(now)
    raised = []
    for start in (current - alert_window(), current):
        rows = (
            Delivery.objects.filter(
                status=Delivery.Status.FAILED, updated_at__gte=start, updated_at__lt=start + alert_window()
            )
            .order_by()
            .values("connector_id")
            .annotate(n=Count("id"), last=Max("updated_at"))
        )
        found = {_key(Condition.DELIVERIES_FAILED, f"connector-{row['connector_id']}", start): row for row in rows}
        done = _raised(found)
        fresh = {key: row for key, row in found.items() if key not in done}
        connectors = Connector.objects.select_related("client").in_bulk([row["connector_id"] for row in fresh.values()])
        for key, row in fresh.items():
            connector = connectors[row["connector_id"]]
            last: Mapping[str, object] = (
                Delivery.objects.filter(connector=connector, status=Delivery.Status.FAILED, updated_at=row["last"])
                .values("id", "destination", "last_status_code", "last_error")
                .first()
            ) or {}
            alert = _raise(
                key, condition=Condition.DELIVERIES_FAILED, window_start=start, now=now,
                client=connector.client, connector=connector,
                title=f"{connector}: {row['n']} deliveries failed after their last attempt",
                detail=f"Between {start:%H:%M} and {min(now, start + alert_window()):%H:%M} UTC. The last one "
                f"(delivery {last.get('id')} to {last.get('destination')}) said: {last.get('last_error') or '—'}",
                figures={"failed": row["n"], "last_delivery_id": last.get("id"),
                         "last_status_code": last.get("last_status_code")},
            )
            raised += [alert] if alert else []
    return raised


def _circuits_open(now: datetime) -> list[Alert]:
    window_start = window_floor(now)
    circuits = DestinationCircuit.objects.filter(
        state__in=[DestinationCircuit.State.OPEN, DestinationCircuit.State.HALF_OPEN]
    ).select_related("connector__client")
    keyed = {
        _key(Condition.CIRCUIT_OPEN, f"connector-{circuit.connector_id}-{circuit.destination}", window_start): circuit
        for circuit in circuits
    }
    raised, done = [], _raised(keyed)
    for key, circuit in keyed.items():
        if key in done:
            continue
        opened = f"{circuit.opened_at:%Y-%m-%d %H:%M} UTC" if circuit.opened_at else "—"
        alert = _raise(
            key, condition=Condition.CIRCUIT_OPEN, window_start=window_start, now=now,
            client=circuit.connector.client, connector=circuit.connector,
            title=f"{circuit.connector}: requests to {circuit.destination} stopped (circuit open)",
            detail=f"Opened {opened} after {circuit.consecutive_failures} failures in a row; the last: "
            f"{circuit.last_failure or '—'}. Its deliveries wait; one request probes the destination every "
            f"{settings.DESTINATION_CIRCUIT_COOLDOWN_SECONDS:g} s and the first answer that is not a failure "
            "sends them again.",
            figures={"destination": circuit.destination, "consecutive_failures": circuit.consecutive_failures,
                     "state": circuit.state},
        )
        raised += [alert] if alert else []
    return raised


@dataclass(frozen=True)
class Evaluation:
    raised: list[Alert]
    notified: int


def alerts_evaluate(*, now: datetime | None = None, seconds: float = 50.0) -> Evaluation:
    """Raise the alerts whose condition holds now and that were not raised in this window, then
    send those not sent yet (``seconds``: the time the sending may take; the rest wait a minute)."""
    now = now or timezone.now()
    raised = [*_failure_rates(now), *_deliveries_failed(now), *_circuits_open(now)]
    return Evaluation(raised=raised, notified=alerts_notify(now=now, seconds=seconds))


def alerts_reconcile(*, now: datetime | None = None) -> tuple[ReconcileReport, list[Alert]]:
    """Reconcile the hour that ended ``RECONCILE_DELAY_MINUTES`` ago; an alert per client whose
    events or deliveries are orphaned (sent by the next ``alerts_evaluate``)."""
    now = now or timezone.now()
    until = now - timedelta(minutes=settings.RECONCILE_DELAY_MINUTES)
    report = events_reconcile(since=until - timedelta(hours=1), until=until)
    if report.clean:
        return report, []
    owners = {
        ("event", pk): client_id
        for pk, client_id in Event.objects.filter(
            pk__in=[o.id for o in report.orphans if o.kind == "event"]
        ).values_list("pk", "connector__client_id")
    } | {
        ("delivery", pk): client_id
        for pk, client_id in Delivery.objects.filter(
            pk__in=[o.id for o in report.orphans if o.kind == "delivery"]
        ).values_list("pk", "connector__client_id")
    }
    by_client: dict[int, list[Orphan]] = {}
    for orphan in report.orphans:
        by_client.setdefault(owners[(orphan.kind, orphan.id)], []).append(orphan)
    window_start = window_floor(now)
    clients = Client.objects.in_bulk(list(by_client))
    raised = []
    for client_id, orphans in by_client.items():
        key = _key(Condition.ORPHANS, f"client-{client_id}", window_start)
        if key in _raised([key]):
            continue
        listed = "; ".join(f"{o.kind} {o.id}: {o.reason}" for o in orphans)
        alert = _raise(
            key, condition=Condition.ORPHANS, window_start=window_start, now=now, client=clients[client_id],
            title=f"{clients[client_id]}: {len(orphans)} events or deliveries nobody will settle",
            detail=f"Reconciliation of {report.since:%Y-%m-%d %H:%M} to {report.until:%H:%M} UTC "
            f"({report.orphan_count} orphaned in all): {listed}. "
            "`manage.py events_reconcile` prints the whole report.",
            figures={"orphans": [{"kind": o.kind, "id": o.id, "reason": o.reason} for o in orphans],
                     "orphaned_in_window": report.orphan_count},
        )
        raised += [alert] if alert else []
    return report, raised


def alerts_active(*, now: datetime | None = None, limit: int = 50) -> list[Alert]:
    """Alerts of the current window and the one before it, newest first: what the dashboard shows."""
    now = now or timezone.now()
    return list(
        Alert.objects.filter(window_end__gt=now - alert_window())
        .select_related("client", "connector")
        .order_by("-raised_at")[:limit]
    )
