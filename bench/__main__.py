"""``python -m bench`` (``make bench``): ingest, end to end, translation, support console and memory,
written to bench/results/<time>/ as JSON, Markdown and a PNG chart. See bench/README.md."""

import argparse
import io
import os
import platform
import re
import subprocess
import sys
from contextlib import redirect_stdout
from datetime import UTC, datetime

from bench.stack import BROKER_URL, DATABASE_URL, ROOT, database_ensure, wrk_ensure

os.environ["DATABASE_URL"] = DATABASE_URL
os.environ["CELERY_BROKER_URL"] = BROKER_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("SANDBOX_ENABLED", "true")  # the destinations measured are the sandbox upstreams

import django
import redis

ENV = {
    "DATABASE_URL": DATABASE_URL, "CELERY_BROKER_URL": BROKER_URL, "LOG_LEVEL": "WARNING", "DEBUG": "false",
    "SANDBOX_ENABLED": "true",
}


def _broker_clear() -> None:
    redis.Redis.from_url(BROKER_URL).flushdb()


def _log_clear() -> None:
    """Start each measure from an empty log: the ingest run leaves thousands of deliveries to a
    sink that is gone, which the end-to-end run's sweeper would otherwise keep retrying."""
    from django.db import connection

    from connectors.sandbox.models import SandboxSegmentMessage
    from events.models import Delivery, DeliveryAttempt, Event

    tables = ", ".join(model._meta.db_table for model in (DeliveryAttempt, Delivery, Event, SandboxSegmentMessage))
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {tables} CASCADE")


def _translation(count: int) -> dict:
    from bench import translation

    out = io.StringIO()
    with redirect_stdout(out):
        translation.main(count)
    text = out.getvalue()
    per_second = re.search(r"([\d,]+) events/second", text)
    return {"events": count, "per_second": int(per_second.group(1).replace(",", "")) if per_second else None,
            "summary": " ".join(text.split())}


def _console(deliveries: int, runs: int) -> dict:
    env = {**os.environ, **ENV}
    subprocess.run([sys.executable, "manage.py", "log_seed", "--deliveries", str(deliveries)],
                   cwd=ROOT, env=env, check=True, capture_output=True, timeout=7200)
    completed = subprocess.run([sys.executable, "-m", "bench.console", "--runs", str(runs)],
                               cwd=ROOT, env=env, check=True, capture_output=True, text=True, timeout=3600)
    return {"deliveries": deliveries, "output": completed.stdout}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--seconds", type=int, default=20, help="Length of each ingest run.")
    parser.add_argument("--sustained-seconds", type=int, default=60, help="Length of the end-to-end run.")
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes end to end.")
    parser.add_argument("--concurrency", type=int, default=8, help="Threads per Celery worker.")
    parser.add_argument("--rate", type=int, default=200, help="Offered events/s for the latency run.")
    parser.add_argument("--console-deliveries", type=int, default=20_000,
                        help="Deliveries seeded for the console benchmark (--full-console: 1,000,000).")
    parser.add_argument("--full-console", action="store_true")
    parser.add_argument("--only", choices=["ingest", "pipeline", "translation", "console"], action="append")
    args = parser.parse_args()
    wanted = set(args.only or ["ingest", "pipeline", "translation", "console"])

    wrk_ensure()
    database_ensure()
    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from bench.ingest import ingest_measure
    from bench.pipeline import pipeline_measure
    from bench.report import markdown, results_write

    results = {
        "started": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": f"{platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
                   f"PostgreSQL {DATABASE_URL.rsplit('@', 1)[-1]}, Redis {BROKER_URL.rsplit('@', 1)[-1]}",
        "memory": {},
    }
    if "ingest" in wanted:
        print("Ingest …", flush=True)
        _broker_clear()
        _log_clear()
        results["ingest"] = ingest_measure(env=ENV, seconds=args.seconds)
        results["memory"]["web (ingest)"] = results["ingest"]["web_peak_rss_mb"]
        _broker_clear()
    if "pipeline" in wanted:
        print("End to end …", flush=True)
        _broker_clear()
        _log_clear()
        results["pipeline"] = pipeline_measure(env=ENV, seconds=args.sustained_seconds, workers=args.workers,
                                               concurrency=args.concurrency, rate=args.rate)
        results["memory"]["web (end to end)"] = results["pipeline"]["web_peak_rss_mb"]
        results["memory"]["worker (end to end)"] = results["pipeline"]["worker_peak_rss_mb"]
        _broker_clear()
    if "translation" in wanted:
        print("Translation …", flush=True)
        results["translation"] = _translation(2_000)
    if "console" in wanted:
        deliveries = 1_000_000 if args.full_console else args.console_deliveries
        print(f"Support console at {deliveries:,} deliveries …", flush=True)
        results["console"] = _console(deliveries, runs=3)
    folder = results_write(results)
    print(markdown(results))
    print(f"Written to {folder}")


if __name__ == "__main__":
    main()
