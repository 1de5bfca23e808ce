"""What committing several webhooks' events together could save, measured on the webhook's own insert.

A group commit would have one thread store the events of k concurrent requests in one transaction
and one round trip, then answer each request after that commit, so an accepted event still survives
a crash of any process. It saves only what is paid per statement and per commit: the driver's work
per call, the round trip, PostgreSQL's per-statement work and its commit (the WAL flush). What each
event costs stays: the 27 KB payload parsed into ``jsonb`` and compressed, the deliveries, the indexes.

This stores real events (the ingest benchmark's notification with a new id each, translated by the
platform) with the webhook's own statement (``events.intake.event_insert``): k = 1 is the webhook
today (one autocommit statement per event); for k > 1 the statements of k events are sent together
in one transaction. Printed per event: CPU of this process (Python and the driver) and of its
PostgreSQL server process, each the minimum of ``--repeat`` runs.

Run: ``python -m bench.commits [--events N] [--repeat R]`` (the benchmark database of ``python -m bench``).
"""

import argparse
import json
import os
import time

from bench.cpu import cpu_seconds
from bench.stack import BROKER_URL, DATABASE_URL, database_ensure

os.environ["DATABASE_URL"] = DATABASE_URL
os.environ["CELERY_BROKER_URL"] = BROKER_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SANDBOX_ENABLED", "true")  # its connector points at the sandbox

import django
import psycopg

GROUPS = (1, 2, 4, 8)


def _prepared(count: int, run: str) -> list:
    """``count`` events of the bench connector, translated and ready to insert, with their body text."""
    from django.db import connection

    from bench.fixture import PLACEHOLDER, connector_create, notification_template
    from connectors.kinds.base import Direction
    from connectors.kinds.registry import kind_get
    from connectors.services import connector_config
    from events.intake.receive import event_prepare
    from events.rules.lookup import rules_for

    connector, _ = connector_create(segment_base_url="http://127.0.0.1:9/sandbox/segment")
    kind, config, template = kind_get(connector.kind), connector_config(connector), notification_template()
    rules = rules_for(connector=connector, direction="out", kind=kind)
    prepared = []
    for number in range(count):
        body = template.replace(PLACEHOLDER, f"commits-{run}-{number}")
        payload = json.loads(body)
        (incoming,) = kind.parse(Direction.OUT, payload, config)
        event, deliveries = event_prepare(connector=connector, config=config, direction="out", incoming=incoming,
                                          payload=payload, kind=kind, rules=rules)
        prepared.append((event, deliveries, body))
    connection.ensure_connection()
    return prepared


def _store(group: list) -> None:
    """The events of ``group``: alone in autocommit as the webhook does, or together in one
    transaction and one round trip."""
    from django.db import connection, transaction

    from events.intake.event_insert import event_insert, event_insert_statement, event_inserted

    if len(group) == 1:
        event, deliveries, body = group[0]
        assert event_insert(event, deliveries, payload_text=body)
        return
    statements = [event_insert_statement(event, deliveries, payload_text=body) for event, deliveries, body in group]
    with transaction.atomic():
        cursor = psycopg.Cursor(connection.connection)
        cursor.executemany(statements[0][0], [params for _, params in statements], returning=True)
        for event, deliveries, _ in group:
            assert event_inserted(event, deliveries, cursor.fetchone())
            cursor.nextset()


def _server_pid() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def measure(*, events: int, repeat: int) -> list[dict]:
    pid = _server_pid()
    best: dict[int, dict] = {}
    for run in range(repeat):
        for size in GROUPS:  # interleaved, so a slow moment of the machine weighs on every size
            prepared = _prepared(events - events % size, f"{run}-{size}-{time.time_ns()}")
            python, server = time.process_time(), cpu_seconds(pid)
            for start in range(0, len(prepared), size):
                _store(prepared[start:start + size])
            figures = {"python_ms": (time.process_time() - python) * 1000 / len(prepared),
                       "postgresql_ms": (cpu_seconds(pid) - server) * 1000 / len(prepared)}
            kept = best.setdefault(size, figures)
            best[size] = {name: min(value, kept[name]) for name, value in figures.items()}
    alone = best[1]["python_ms"] + best[1]["postgresql_ms"]
    return [{"events_per_commit": size, "python_ms": round(figures["python_ms"], 3),
             "postgresql_ms": round(figures["postgresql_ms"], 3),
             "saved_ms": round(alone - figures["python_ms"] - figures["postgresql_ms"], 3)}
            for size, figures in sorted(best.items())]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.commits")
    parser.add_argument("--events", type=int, default=400, help="Events stored per size and run.")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    database_ensure()
    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    rows = measure(events=args.events, repeat=args.repeat)
    print("| events per commit | this process, ms per event | PostgreSQL, ms per event | saved per event vs 1 |")
    print("| --- | --- | --- | --- |")
    for row in rows:
        figures = (row["python_ms"], row["postgresql_ms"], row["saved_ms"])
        print(f"| {row['events_per_commit']} | " + " | ".join(f"{value:.3f}" for value in figures) + " |")


if __name__ == "__main__":
    main()
