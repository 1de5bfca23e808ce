"""The sandbox keeps a whole Segment batch in one round trip, once per messageId, counting the repeats."""

import json

import pytest

from connectors.sandbox.models import SandboxSegmentMessage
from connectors.sandbox.segment import segment_batch
from connectors.sandbox.services import Call
from tests.connectors.sandbox.conftest import segment_auth

pytestmark = pytest.mark.django_db


def _track(message_id: str) -> dict:
    return {"type": "track", "event": "Order Completed", "userId": "u-1", "messageId": message_id}


def _call(messages: list[dict]) -> Call:
    body = json.dumps({"batch": messages}).encode()
    headers = {**segment_auth(), "Content-Type": "application/json"}
    return Call(method="POST", path="/sandbox/segment/v1/batch", headers=headers, body=body)


def _kept() -> list[tuple[str, int]]:
    return list(SandboxSegmentMessage.objects.values_list("message_id", "duplicate_count"))


def test_a_large_batch_is_stored_in_one_statement_per_row_sent_together(django_assert_num_queries):
    SandboxSegmentMessage.objects.create(
        upstream="segment", message_id="m-0", type="track", event="Order Completed", message={}
    )
    messages = [_track(f"m-{n}") for n in range(100)]

    with django_assert_num_queries(1):
        reply = segment_batch(_call(messages))

    assert reply.status == 200
    assert SandboxSegmentMessage.objects.count() == 100
    assert SandboxSegmentMessage.objects.get(message_id="m-0").duplicate_count == 1
    assert SandboxSegmentMessage.objects.filter(duplicate_count=0).count() == 99


def test_a_message_id_repeated_in_one_batch_is_kept_once_and_counted():
    first = {**_track("m-1"), "properties": {"total": 1}}
    repeat = {**_track("m-1"), "properties": {"total": 2}}

    segment_batch(_call([first, _track("m-2"), repeat, _track("m-1")]))

    assert _kept() == [("m-1", 2), ("m-2", 0)]
    assert SandboxSegmentMessage.objects.get(message_id="m-1").message["properties"] == {"total": 1}


def test_repeats_of_known_ids_are_counted_by_how_often_they_came():
    segment_batch(_call([_track("m-1"), _track("m-2")]))

    segment_batch(_call([_track("m-1"), _track("m-2"), _track("m-2"), _track("m-3")]))

    assert _kept() == [("m-1", 1), ("m-2", 2), ("m-3", 0)]
