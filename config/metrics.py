"""Prometheus metrics at ``GET /metrics``.

Two sources, each where it is exact:

- The database, read at scrape time (``events.console.metrics``): events received, deliveries
  delivered and failed, their latency, the backlog, the oldest due delivery, attempts by status
  class, circuits. Every web process answers the same figures, and what only the workers see is
  included, without a metrics directory shared between containers.
- The webhook's own answer and how long it took, which no row records (a refused webhook stores
  nothing): counted in the process that answered, with no query. Under gunicorn's several
  processes a scrape reaches one of them, so these two series use prometheus-client's multiprocess
  mode when ``PROMETHEUS_MULTIPROC_DIR`` is set (the image and ``make run`` set it and empty it at
  start); without it (a single process, the tests) they are that process's own. Both are counters
  and histograms, whose files a stopped worker leaves to be summed, as they should be: no gauge is
  kept in process, so gunicorn needs no hook to mark a dead worker's.

The endpoint answers only a scraper allowed by ``METRICS_TOKEN`` and ``METRICS_ALLOWED_NETWORKS``.
"""

import hmac
import ipaddress
import os
from collections.abc import Iterator

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from events.console.metrics import (
    BACKLOG_STATUSES,
    STATUS_CLASSES,
    ConnectorCounts,
    MetricsSnapshot,
    metrics_read,
)
from events.destination_models import DestinationCircuit
from events.models import ROLLUP_LATENCY_BOUNDS_MS

# A webhook's answer, by the reason the README gives for each status.
WEBHOOK_OUTCOMES = {
    200: "accepted",
    400: "invalid",
    401: "unauthenticated",
    403: "forbidden",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}

# Not registered in a global registry: each scrape builds its own (see metrics_view).
WEBHOOK_REQUESTS = Counter(
    "ee_connect_webhook_requests",
    "Webhooks answered, by connector (empty when the URL names none or the body was refused before "
    "the connector was looked up), direction and outcome (accepted, or why refused)",
    ["connector", "direction", "outcome"],
    registry=None,
)
WEBHOOK_DURATION = Histogram(
    "ee_connect_webhook_duration_seconds",
    "Time from a webhook's arrival in Django to its answer",
    ["connector", "direction"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=None,
)


def webhook_observe(*, connector: str, direction: str, status: int, seconds: float) -> None:
    """Count and time one webhook answer (in memory, or the multiprocess files: no query)."""
    outcome = WEBHOOK_OUTCOMES.get(status, f"http_{status}")
    WEBHOOK_REQUESTS.labels(connector, direction, outcome).inc()
    WEBHOOK_DURATION.labels(connector, direction).observe(seconds)


class DatabaseCollector(Collector):
    """The database's figures as metric families (one snapshot, read once per scrape)."""

    def __init__(self, snapshot: MetricsSnapshot) -> None:
        self.snapshot = snapshot

    def collect(self) -> Iterator[Metric]:
        label = {pk: info.public_id for pk, info in self.snapshot.connectors.items()}
        yield from self._connector_families()
        yield self._attempts_family(label)
        yield from self._circuit_families(label)

    def _connector_families(self) -> tuple[Metric, ...]:
        """Each connector's figures: what it is, what it received and delivered, its backlog."""
        snap = self.snapshot
        info = GaugeMetricFamily(
            "ee_connect_connector_info", "A connector: its client, kind, name and state (always 1)",
            labels=["connector", "client", "kind", "name", "state"],
        )
        received = CounterMetricFamily(
            "ee_connect_events_received", "Events stored, by connector (duplicates not counted again)",
            labels=["connector"],
        )
        deliveries = CounterMetricFamily(
            "ee_connect_deliveries", "Deliveries that ended, by connector and outcome (delivered, failed)",
            labels=["connector", "outcome"],
        )
        latency = HistogramMetricFamily(
            "ee_connect_delivery_latency_seconds",
            "Accepted → delivered time of delivered deliveries (buckets only: no sum is kept)",
            labels=["connector"],
        )
        backlog = GaugeMetricFamily(
            "ee_connect_delivery_backlog", "Deliveries not yet ended, by connector and status",
            labels=["connector", "status"],
        )
        due = GaugeMetricFamily("ee_connect_deliveries_due", "Deliveries due now, by connector", labels=["connector"])
        oldest = GaugeMetricFamily(
            "ee_connect_delivery_oldest_due_seconds",
            "How long the oldest due delivery has been due, by connector (0 when none is)",
            labels=["connector"],
        )
        for pk, connector in snap.connectors.items():
            info.add_metric([connector.public_id, connector.client, connector.kind, connector.name, connector.state], 1)
            counts = snap.counts.get(pk, ConnectorCounts())
            received.add_metric([connector.public_id], counts.received)
            deliveries.add_metric([connector.public_id, "delivered"], counts.delivered)
            deliveries.add_metric([connector.public_id, "failed"], counts.failed)
            running, buckets = 0, []
            for bound, count in zip((*ROLLUP_LATENCY_BOUNDS_MS, None), counts.latency, strict=True):
                running += count
                buckets.append(("+Inf" if bound is None else str(bound / 1000), running))
            latency.add_metric([connector.public_id], buckets, sum_value=None)
            for status in BACKLOG_STATUSES:
                backlog.add_metric([connector.public_id, status], snap.backlog.get((pk, status), 0))
            due.add_metric([connector.public_id], snap.due.get(pk, 0))
            oldest_at = snap.oldest_due_at.get(pk)
            oldest.add_metric([connector.public_id], (snap.now - oldest_at).total_seconds() if oldest_at else 0)
        return (info, received, deliveries, latency, backlog, due, oldest)

    def _attempts_family(self, label: dict[int, str]) -> Metric:
        snap = self.snapshot
        attempts = GaugeMetricFamily(
            "ee_connect_delivery_attempts_last_minute",
            "Delivery attempts started in the minute before the scrape, by connector and status class "
            "(none: no answer — timeout or network error)",
            labels=["connector", "status_class"],
        )
        for pk, public_id in label.items():
            for status_class in STATUS_CLASSES:
                attempts.add_metric([public_id, status_class], snap.recent_attempts.get((pk, status_class), 0))
        return attempts

    def _circuit_families(self, label: dict[int, str]) -> tuple[Metric, ...]:
        snap = self.snapshot
        circuit = GaugeMetricFamily(
            "ee_connect_destination_circuit_state",
            "A connector's destination's circuit breaker: 1 for its current state, 0 for the others",
            labels=["connector", "destination", "state"],
        )
        failures = GaugeMetricFamily(
            "ee_connect_destination_consecutive_failures",
            "Retried failures in a row of a connector's destination "
            "(its circuit opens at DESTINATION_CIRCUIT_FAILURES)",
            labels=["connector", "destination"],
        )
        for row in snap.circuits:
            public_id = label.get(row.connector_id, str(row.connector_id))
            for state in DestinationCircuit.State.values:
                circuit.add_metric([public_id, row.destination, state], 1 if row.state == state else 0)
            failures.add_metric([public_id, row.destination], row.consecutive_failures)
        return (circuit, failures)


def _address_allowed(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in settings.METRICS_ALLOWED_NETWORKS)


def _refusal(request: HttpRequest) -> HttpResponse | None:
    """Each check that is configured must pass; with none configured, metrics are not served.
    The address is the one connecting (``REMOTE_ADDR``): a forwarded header could be forged."""
    token, networks = settings.METRICS_TOKEN, settings.METRICS_ALLOWED_NETWORKS
    if not token and not networks:
        return JsonResponse({"message": "Metrics are off: set METRICS_TOKEN or METRICS_ALLOWED_NETWORKS"}, status=403)
    if networks and not _address_allowed(request.META.get("REMOTE_ADDR", "")):
        return JsonResponse({"message": "This address is not in METRICS_ALLOWED_NETWORKS"}, status=403)
    if token:
        scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not presented:
            return JsonResponse(
                {"message": "Missing Authorization: Bearer <METRICS_TOKEN>"},
                status=401, headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
            )
        if not hmac.compare_digest(presented.strip().encode(), token.encode()):
            return JsonResponse({"message": "Wrong metrics token"}, status=403)
    return None


@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    refusal = _refusal(request)
    if refusal is not None:
        return refusal
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        registry.register(WEBHOOK_REQUESTS)
        registry.register(WEBHOOK_DURATION)
    registry.register(DatabaseCollector(metrics_read()))
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
