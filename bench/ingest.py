"""Ingest: accepted webhooks per second and latency for ``POST /out/segment/<id>`` against the
ceiling (a bare view parsing the same body and inserting one row) on the same server settings.

The two alternate in rounds (ceiling, webhook, ceiling, webhook, ...) and each figure is the median
of its rounds, so that a noisy neighbour slowing the machine for a few seconds weighs on both
sides alike instead of on whichever happened to run then."""

import statistics

from django.conf import settings
from django.db import connection

from bench.ceiling import TABLE_CREATE
from bench.cpu import CpuMeter, cpu_add, cpu_per
from bench.fixture import connector_create, notification_template
from bench.stack import Stack, free_port, wrk_run
from events.models import Event

CONNECTIONS = 16
ROUNDS = 3
FIGURES = ("per_second", "p50_ms", "p95_ms", "p99_ms", "max_ms")


def _median(runs: list[dict]) -> dict:
    """The rounds' median of each figure; counts summed over the rounds."""
    merged = {name: sum(run[name] for run in runs) for name in ("requests", "accepted", "non_2xx", "socket_errors")}
    merged.update({name: statistics.median(run[name] for run in runs) for name in FIGURES})
    return {**merged, "seconds": round(sum(run["seconds"] for run in runs), 2),
            "connections": runs[0]["connections"], "rounds": [run["per_second"] for run in runs]}


def ingest_measure(*, env: dict[str, str], seconds: int) -> dict:
    with connection.cursor() as cursor:
        cursor.execute(TABLE_CREATE)
    body = notification_template()
    stack = Stack(env=env)
    try:
        base = stack.web("web", port=free_port(), settings_module="bench.ceiling_settings")
        connector, token = connector_create(segment_base_url=f"{base}/sandbox/segment")
        webhook_path = f"/out/segment/{connector.public_id}"
        ceiling_path = f"/bench/ceiling/{connector.public_id}"
        common = {"body": body, "token": token, "seconds": seconds, "connections": CONNECTIONS}
        wrk_run(url=base + webhook_path, path=webhook_path, **{**common, "seconds": 3}, prefix="warm")
        wrk_run(url=base + ceiling_path, path=ceiling_path, **{**common, "seconds": 3}, prefix="warm")
        round_seconds = max(seconds // ROUNDS, 3)
        ceilings, webhooks = [], []
        spent = {"ceiling": {}, "webhook": {}}
        for number in range(ROUNDS):
            each = {**common, "seconds": round_seconds}
            with CpuMeter(stack.pids()) as meter:
                ceilings.append(wrk_run(url=base + ceiling_path, path=ceiling_path, prefix=f"ceiling{number}", **each))
            cpu_add(spent["ceiling"], meter)
            with CpuMeter(stack.pids()) as meter:
                webhooks.append(wrk_run(url=base + webhook_path, path=webhook_path, prefix=f"ingest{number}", **each))
            cpu_add(spent["webhook"], meter)
        ceiling, webhook = _median(ceilings), _median(webhooks)
        ceiling["cpu_ms"] = cpu_per(spent["ceiling"], ceiling["accepted"])
        webhook["cpu_ms"] = cpu_per(spent["webhook"], webhook["accepted"])
        ratios = [web["per_second"] / top["per_second"] for web, top in zip(webhooks, ceilings, strict=True)]
        stored = Event.objects.filter(connector=connector, source_event_id__startswith="ingest").count()
        return {
            "body_bytes": len(body),
            "webhook": webhook,
            "ceiling": ceiling,
            "ratio": round(statistics.median(ratios), 2) if all(top["per_second"] for top in ceilings) else None,
            "ratio_rounds": [round(ratio, 2) for ratio in ratios],
            "stored_events": stored,
            "web_peak_rss_mb": stack.rss("web"),
            "gunicorn": f"{settings.WEB_CONCURRENCY} processes x {settings.WEB_THREADS} threads (platform_run's)",
        }
    finally:
        stack.stop()
