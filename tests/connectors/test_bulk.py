"""bulk_insert: many rows of JSON in one go, all or nothing, on either backend."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from connectors.sandbox.models import SandboxSegmentMessage
from core.bulk import bulk_insert, insert_fields, insert_values

pytestmark = pytest.mark.django_db


def _message(message_id: str) -> SandboxSegmentMessage:
    body = {"messageId": message_id, "properties": {"quote": 'say "hi"', "backslash": "a\\b", "nested": [{"x": 1}]}}
    return SandboxSegmentMessage(upstream="segment", message_id=message_id, type="track", message=body)


def test_rows_are_stored_with_their_json_intact_and_defaults_applied():
    bulk_insert(SandboxSegmentMessage, [_message(f"m-{n}") for n in range(30)])

    stored = list(SandboxSegmentMessage.objects.order_by("message_id"))
    assert len(stored) == 30
    assert stored[0].message["properties"] == {"quote": 'say "hi"', "backslash": "a\\b", "nested": [{"x": 1}]}
    assert all(row.first_seen_at is not None and row.duplicate_count == 0 for row in stored)


def test_one_bad_row_stores_none_of_them():
    bulk_insert(SandboxSegmentMessage, [_message("taken")])

    with pytest.raises(IntegrityError), transaction.atomic():
        bulk_insert(SandboxSegmentMessage, [_message("new-1"), _message("taken"), _message("new-2")])

    assert list(SandboxSegmentMessage.objects.values_list("message_id", flat=True)) == ["taken"]


def test_the_insert_shows_in_djangos_query_log():
    with CaptureQueriesContext(connection) as queries:
        bulk_insert(SandboxSegmentMessage, [_message("a"), _message("b")])

    assert any("INSERT INTO" in query["sql"] for query in queries.captured_queries)
    assert SandboxSegmentMessage.objects.count() == 2


def test_values_are_what_djangos_own_preparation_gives_even_of_the_wrong_python_type():
    message = _message("typed")
    message.type = 42  # an int in a CharField: Django makes it "42", and so must the insert
    fields = insert_fields(SandboxSegmentMessage)
    django_values = [field.get_db_prep_save(field.pre_save(message, add=True), connection) for field in fields]

    values = insert_values(message, fields, connection)

    by_name = dict(zip((field.name for field in fields), values, strict=True))
    assert by_name["type"] == "42"
    for field, ours, djangos in zip(fields, values, django_values, strict=True):
        if field.name not in ("message", "first_seen_at", "last_seen_at"):  # JSON adapters, now()
            assert ours == djangos, field.name
    bulk_insert(SandboxSegmentMessage, [message])
    assert SandboxSegmentMessage.objects.get().type == "42"
