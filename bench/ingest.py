"""Ingest: accepted webhooks per second and latency for ``POST /out/segment/<id>`` against the
ceiling (a bare view parsing the same body and inserting one row) on the same server settings."""

from django.db import connection

from bench.ceiling import TABLE_CREATE
from bench.fixture import connector_create, notification_template
from bench.stack import Stack, free_port, wrk_run
from events.models import Event

CONNECTIONS = 16


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
        ceiling = wrk_run(url=base + ceiling_path, path=ceiling_path, prefix="ceiling", **common)
        webhook = wrk_run(url=base + webhook_path, path=webhook_path, prefix="ingest", **common)
        stored = Event.objects.filter(connector=connector, source_event_id__startswith="ingest-").count()
        return {
            "body_bytes": len(body),
            "webhook": webhook,
            "ceiling": ceiling,
            "ratio": round(webhook["per_second"] / ceiling["per_second"], 2) if ceiling["per_second"] else None,
            "stored_events": stored,
            "web_peak_rss_mb": stack.rss("web"),
            "gunicorn": "2 workers x 4 threads (platform_run's web server)",
        }
    finally:
        stack.stop()
