"""Large JSON and text columns are compressed with LZ4 where the server has it."""

import pytest
from django.db import connection

from connectors.sandbox.models import SandboxSegmentMessage
from events.models import Delivery, DeliveryAttempt, Event
from tests.events.factories import EventFactory

pytestmark = pytest.mark.django_db

LARGE = {"events_event": {"payload", "context"}, "events_delivery": {"body", "result"},
         "events_deliveryattempt": {"request_body", "response_body"},
         "sandbox_sandboxsegmentmessage": {"message"}}


def _lz4_server() -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'")
        row = cursor.fetchone()
    return bool(row) and "lz4" in row[0]


def _compression(table: str) -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attname, attcompression FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0", [table]
        )
        return dict(cursor.fetchall())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="column compression is PostgreSQL's")
def test_the_large_columns_and_only_they_use_lz4():
    if not _lz4_server():
        pytest.skip("this PostgreSQL server was built without LZ4")
    assert {model._meta.db_table for model in (Event, Delivery, DeliveryAttempt, SandboxSegmentMessage)} == set(LARGE)
    for table, columns in LARGE.items():
        methods = _compression(table)
        assert {name for name, method in methods.items() if method == "l"} == columns, table


def test_a_large_payload_reads_back_as_it_was_stored():
    payload = {"headers": {"eesEventId": "large"}, "products": [{"sku": f"SKU-{n}", "qty": n} for n in range(2000)]}
    event = EventFactory(payload=payload)
    assert Event.objects.get(pk=event.pk).payload == payload
