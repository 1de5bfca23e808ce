"""Voucherify → Segment: how each message a rule produced is completed (userId, messageId,
context.library), trimmed to Segment's 32 KB and failed when it cannot fit."""

import copy
import hashlib
import json
import re
from dataclasses import replace

import pytest

from connectors.kinds.base import ConnectorConfig
from connectors.kinds.segment import MAX_MESSAGE_BYTES
from connectors.kinds.voucherify_segment.build_out import voucherify_message_trim, voucherify_outbound_build
from connectors.kinds.voucherify_segment.parse_out import voucherify_webhook_parse
from connectors.kinds.voucherify_segment.samples import REDEMPTION_SUCCEEDED

CONFIG = ConnectorConfig(
    connector_id="x",
    settings={"segment_region": "US"},
    secrets={"voucherify_webhook_secret": "s", "segment_write_key": "k"},
)
LIBRARY = {"name": "ee-connect", "version": "9.9.9"}


@pytest.fixture(autouse=True)
def _version(settings):
    settings.VERSION = "9.9.9"


def _event(**envelope):
    [event] = voucherify_webhook_parse({**copy.deepcopy(REDEMPTION_SUCCEEDED), **envelope}, config=CONFIG)
    return event


def _sent(translation):
    return [message for request in translation.requests for message in request.body["batch"]]


def _size(value):
    return len(json.dumps(value, separators=(",", ":")).encode())


@pytest.mark.parametrize(
    ("ids", "sent"),
    [
        # A rule that names nobody sends the customer's source_id.
        ({}, {"userId": "user-3001"}),
        ({"userId": None}, {"userId": "user-3001"}),
        ({"userId": ""}, {"userId": "user-3001"}),
        # A rule's own userId or anonymousId is kept as it is, and no userId is added to the latter.
        ({"userId": "other-7"}, {"userId": "other-7"}),
        ({"anonymousId": "anon-9"}, {"anonymousId": "anon-9"}),
    ],
    ids=["none", "null", "empty", "own-user-id", "anonymous-id"],
)
def test_a_message_is_completed_for_the_customer_unless_the_rule_named_someone(ids, sent):
    message = {"type": "track", "event": "Points Added", **ids, "properties": {"points": 40}}

    [completed] = _sent(voucherify_outbound_build(_event(), [message], CONFIG))

    assert completed == {
        "type": "track",
        "event": "Points Added",
        **sent,
        "properties": {"points": 40},
        "messageId": "whs_Sample0Redemption01",
        "timestamp": "2024-03-01T12:00:00.000Z",
        "context": {"library": LIBRARY},
    }


def test_a_rule_s_own_context_is_kept_beside_the_library():
    message = {"type": "track", "event": "E", "context": {"traits": {"tier": "gold"}, "library": {"name": "rule"}}}

    [completed] = _sent(voucherify_outbound_build(_event(), [message], CONFIG))

    assert completed["context"] == {"traits": {"tier": "gold"}, "library": LIBRARY}


def test_a_message_id_of_99_characters_is_sent_as_it_is_and_a_longer_one_is_hashed():
    # Segment keeps messageIds under 100 characters; a longer envelope id becomes "vf-" and its
    # SHA-256 (67 characters), the same on every retry.
    fits, too_long = "whs_" + "a" * 95, "whs_" + "a" * 96
    message = {"type": "track", "event": "E"}

    [kept] = _sent(voucherify_outbound_build(_event(id=fits), [message], CONFIG))
    [hashed] = _sent(voucherify_outbound_build(_event(id=too_long), [message], CONFIG))

    assert kept["messageId"] == fits
    assert hashed["messageId"] == "vf-" + hashlib.sha256(too_long.encode()).hexdigest()


def test_an_event_without_its_own_id_takes_the_webhook_id():
    event = replace(_event(), source_event_id="")

    translation = voucherify_outbound_build(event, [{"type": "track", "event": "E"}], CONFIG)

    assert _sent(translation)[0]["messageId"] == "whs_Sample0Redemption01"
    assert translation.requests[0].idempotency_key == "segment:whs_Sample0Redemption01"


def _customer(**metadata):
    return {"object": "customer", "source_id": "user-3001", **{f"metadata_{k}": v for k, v in metadata.items()}}


def test_metadata_left_out_of_every_message_of_an_event_is_noted_on_its_request():
    messages = [
        {"type": "track", "event": "A", "properties": {"customer": _customer(notes="n" * 33_000)}},
        {"type": "track", "event": "B", "properties": {"customer": _customer(bio="b" * 33_000)}},
    ]

    translation = voucherify_outbound_build(_event(), messages, CONFIG)

    [request] = translation.requests
    assert [m["properties"]["customer"] for m in request.body["batch"]] == [_customer(), _customer()]
    # Each weight is the value plus {"metadata_<key>":""}: 21 bytes for notes, 19 for bio.
    assert request.notes == (
        "Customer metadata left out to keep the message within Segment's 32 KB: "
        "properties.customer.metadata_notes (33,021 bytes); properties.customer.metadata_bio (33,019 bytes)."
    )


def test_a_message_too_large_with_no_customer_metadata_fails_without_speaking_of_it():
    message = {"type": "track", "event": "Big", "properties": {"description": "d" * 40_000}}

    translation = voucherify_outbound_build(_event(), [message], CONFIG)

    assert re.fullmatch(r"Segment message 'Big' is \d+ bytes, over Segment's 32 KB limit\.", translation.failed)
    assert translation.requests == []


def test_customers_in_a_list_are_trimmed_where_they_stand_and_the_message_given_is_left_untouched():
    message = {
        "type": "track",
        "properties": {"customers": [_customer(a="a" * 17_000), _customer(b="b" * 16_000)]},
    }
    given = copy.deepcopy(message)

    trimmed, notes = voucherify_message_trim(message)

    # The largest first: a (17,000 + 17) goes, and the rest (about 16 KB) fits.
    assert trimmed["properties"]["customers"] == [_customer(), _customer(b="b" * 16_000)]
    assert notes == ["properties.customers[0].metadata_a (17,017 bytes)"]
    assert message == given


def _padded_to(size, message, pad):
    """``message`` with ``properties.pad`` grown so that ``pad`` (a message without some keys) is
    exactly ``size`` bytes."""
    padding = "p" * (size - _size({**pad, "properties": {**pad["properties"], "pad": ""}}))
    return {**message, "properties": {**message["properties"], "pad": padding}}


def test_a_message_of_exactly_32_kb_is_sent_whole():
    base = {"type": "track", "properties": {"customer": _customer(tier="gold")}}
    message = _padded_to(MAX_MESSAGE_BYTES, base, base)
    assert _size(message) == 32_768

    trimmed, notes = voucherify_message_trim(message)

    assert (trimmed, notes) == (message, [])


def test_trimming_stops_as_soon_as_the_message_is_exactly_32_kb():
    # Without metadata_a the message is exactly 32,768 bytes: metadata_b stays.
    without_a = {"type": "track", "properties": {"customer": _customer(b="b" * 10)}}
    with_a = {"type": "track", "properties": {"customer": _customer(a="a" * 1_000, b="b" * 10)}}
    message = _padded_to(MAX_MESSAGE_BYTES, with_a, without_a)

    trimmed, notes = voucherify_message_trim(message)

    assert _size(trimmed) == 32_768
    assert trimmed["properties"]["customer"] == _customer(b="b" * 10)
    assert notes == ["properties.customer.metadata_a (1,017 bytes)"]
