"""End to end: AIR notification accepted → Segment sandbox acknowledged.

The sandbox answers from its own gunicorn (as Segment would be a different host). Two runs:
the latency of each event at a fixed offered rate, and the sustained delivery rate with the
webhook endpoint driven flat out for the whole window.
"""

import time
from datetime import timedelta

from django.db import connection
from django.db.models import Count, Max, Min
from django.utils import timezone

from bench.cpu import CpuMeter, cpu_per
from bench.fixture import connector_create, notification_template
from bench.stack import Stack, free_port, wrk_run
from events.models import Delivery

DRAIN_TIMEOUT_SECONDS = 120
# The sandbox stands for Segment, another host: one shape whatever the platform's web server is.
SINK_WORKERS, SINK_THREADS = 2, 4


def _latency_percentiles(*, connector_id: int, prefix: str) -> dict:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*),
                   percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP
                       (ORDER BY extract(epoch FROM d.delivered_at - e.received_at))
            FROM events_delivery d JOIN events_event e ON e.id = d.event_id
            WHERE d.connector_id = %s AND d.status = 'succeeded' AND e.source_event_id LIKE %s
            """,
            [connector_id, f"{prefix}-%"],
        )
        count, (p50, p95, p99) = cursor.fetchone()
    return {"delivered": count, "p50_ms": round(p50 * 1000, 1), "p95_ms": round(p95 * 1000, 1),
            "p99_ms": round(p99 * 1000, 1)}


def _drain(*, connector_id: int, prefix: str) -> int:
    deadline = time.monotonic() + DRAIN_TIMEOUT_SECONDS
    pending = Delivery.objects.filter(connector_id=connector_id, event__source_event_id__startswith=prefix).exclude(
        status__in=Delivery.TERMINAL_STATUSES
    )
    while time.monotonic() < deadline and pending.exists():
        time.sleep(1)
    return pending.count()


def pipeline_measure(*, env: dict[str, str], seconds: int, workers: int, concurrency: int, rate: int) -> dict:
    body = notification_template()
    stack = Stack(env=env)
    try:
        sink = stack.web("sink", port=free_port(), workers=SINK_WORKERS, threads=SINK_THREADS)
        base = stack.web("web", port=free_port())
        for number in range(workers):
            stack.worker(f"worker{number}", concurrency=concurrency)
        stack.beat()
        connector, token = connector_create(segment_base_url=f"{sink}/sandbox/segment")
        path = f"/out/segment/{connector.public_id}"
        common = {"url": base + path, "path": path, "body": body, "token": token}
        time.sleep(3)  # workers connect

        # Fixed offered rate: each of 10 connections waits so that together they offer ≈ rate/s.
        paced = wrk_run(**common, seconds=30, connections=10, pause_ms=int(10_000 / rate), prefix="paced")
        left = _drain(connector_id=connector.pk, prefix="paced")
        latency = {**_latency_percentiles(connector_id=connector.pk, prefix="paced"),
                   "offered_per_second": paced["per_second"], "undelivered_after_drain": left}

        # Sustained: the endpoint driven flat out; what counts is what Segment acknowledged.
        started = timezone.now()
        with CpuMeter(stack.pids()) as meter:
            flat = wrk_run(**common, seconds=seconds, connections=16, prefix="flat")
        ended = timezone.now()
        delivered = Delivery.objects.filter(
            connector=connector, status=Delivery.Status.SUCCEEDED, delivered_at__gte=started, delivered_at__lt=ended
        ).aggregate(n=Count("id"), first=Min("delivered_at"), last=Max("delivered_at"))
        backlog = _drain(connector_id=connector.pk, prefix="flat")
        window = (ended - started) / timedelta(seconds=1)
        return {
            "workers": workers,
            "worker_pool": f"threads x {concurrency}",
            "latency_at_fixed_rate": latency,
            "sustained": {
                "seconds": round(window, 1),
                "accepted_per_second": flat["per_second"],
                "delivered_per_second": round(delivered["n"] / window, 1),
                "delivered": delivered["n"],
                "undelivered_after_drain": backlog,
                "cpu_ms_per_delivered": cpu_per(meter.spent, delivered["n"]),
            },
            "web_peak_rss_mb": stack.rss("web"),
            "worker_peak_rss_mb": max(stack.rss(f"worker{number}") for number in range(workers)),
        }
    finally:
        stack.stop()
