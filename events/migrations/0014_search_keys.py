"""Support's search by any identity, the wallet, a transaction reference or a messageId sent:
GIN indexes over small JSON arrays computed from each row (events.console.search), on
PostgreSQL only. Built concurrently, so a large log keeps taking events while they build; the
embedded SQLite reads the same values from every row instead."""

from django.db import migrations

# Verbatim copies of events.console.search's expressions (a migration keeps the text it ran).
EVENT_KEYS_SQL = (
    "(jsonb_path_query_array(context, '$.identities.*')"
    " || jsonb_path_query_array(context, '$.wallet_id')"
    " || jsonb_path_query_array(context, '$.wallet_transaction_reference')"
    " || jsonb_path_query_array(context, '$.transaction.reference')"
    " || jsonb_path_query_array(context, '$.transaction.original_reference'))"
)
DELIVERY_MESSAGE_IDS_SQL = (
    "(jsonb_path_query_array(body, '$.batch[*].messageId') || jsonb_path_query_array(body, '$.messageId'))"
)
INDEXES = (
    ("event_search_keys", "events_event", EVENT_KEYS_SQL),
    ("delivery_message_ids", "events_delivery", DELIVERY_MESSAGE_IDS_SQL),
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table, expression in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} USING gin (({expression}) jsonb_path_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _, _ in INDEXES:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("events", "0013_alerts"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
