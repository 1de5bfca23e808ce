"""Voucherify → Segment: raw-payload distributions (seed 004's bare ``{customer, segment}``), only
the events a Voucherify webhook can carry, and Segment's 32 KB limit met by trimming customer
metadata."""

import copy
import hashlib
import hmac
import json

import pytest

from connectors.kinds.base import ConnectorConfig, Direction
from connectors.kinds.segment import MAX_MESSAGE_BYTES
from connectors.kinds.voucherify_segment import KIND
from connectors.kinds.voucherify_segment.samples import REDEMPTION_SUCCEEDED, SEGMENT_ENTERED
from events.rules.mapping import messages_render

SECRET = "whsec-sample"
SETTINGS = {"segment_region": "US", "voucherify_api_url": "https://api.voucherify.io", "voucherify_app_id": "a"}
SECRETS = {"voucherify_webhook_secret": SECRET, "segment_write_key": "k", "voucherify_app_token": "t"}
RULES = KIND.default_rules[Direction.OUT]


def _config(**settings):
    return ConnectorConfig(connector_id="x", settings={**SETTINGS, **settings}, secrets=SECRETS)


def _raw_payload():
    """What a "Customer entered segment" distribution sends with Raw payload ticked (seed 004)."""
    return copy.deepcopy(SEGMENT_ENTERED["data"])


def _translate(payload, config=None):
    config = config or _config()
    [event] = KIND.parse(Direction.OUT, payload, config)
    messages = messages_render(RULES, event_type=event.event_type, context=event.context)
    return event, KIND.build(Direction.OUT, event, messages, config)


def test_a_raw_payload_signed_with_the_webhook_secret_is_authenticated_before_parsing():
    body = json.dumps(_raw_payload()).encode()
    signature = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()

    assert KIND.authenticate[Direction.OUT](body, {"x-voucherify-signature": signature}, _config()) is None


def test_a_raw_segment_entered_payload_becomes_customer_entered_segment():
    payload = _raw_payload()
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()

    event, translation = _translate(payload)

    # No envelope: the event is the connector's raw-payload setting (default: entered segment), the
    # id a hash of the body (Voucherify retries the same send-out with the same body).
    assert (event.event_type, event.identity) == ("customer.segment.entered", "a-tst")
    assert event.source_event_id == "raw-" + hashlib.sha256(canonical).hexdigest()[:40]
    assert event.occurred_at is None
    [request] = translation.requests
    [message] = request.body["batch"]
    assert (message["type"], message["event"], message["userId"]) == ("track", "Customer Entered Segment", "a-tst")
    assert message["messageId"] == event.source_event_id
    assert "timestamp" not in message  # Segment stamps it on receipt
    segment = {"id": "seg_Sample0Segment", "name": "New Customers", "object": "segment"}
    assert message["properties"]["segment"] == segment
    assert message["properties"]["customer"]["summary_orders_total_count"] == 1


def test_a_raw_payload_takes_the_event_the_connector_names():
    event, translation = _translate(_raw_payload(), _config(voucherify_raw_event="customer.segment.left"))

    assert event.event_type == "customer.segment.left"
    assert translation.requests[0].body["batch"][0]["event"] == "Customer Left Segment"


def test_the_same_raw_payload_has_one_id_and_another_body_another():
    first, _ = _translate(_raw_payload())
    again, _ = _translate(_raw_payload())
    other = _raw_payload()
    other["segment"]["id"] = "seg_Other"

    changed, _ = _translate(other)

    assert first.source_event_id == again.source_event_id
    assert changed.source_event_id != first.source_event_id


def test_a_raw_payload_whose_customer_has_no_source_id_is_ignored():
    payload = _raw_payload()
    del payload["customer"]["source_id"]

    event, translation = _translate(payload)

    assert event.identity == "cust_Sample0Customer0001"
    assert translation.ignored.startswith("This customer.segment.entered event has no customer with a source_id")
    assert translation.requests == []


@pytest.mark.parametrize(
    "event_type",
    ["validation.succeeded", "validation.failed", "publication.failed", "customer.publication.failed"],
)
def test_events_no_voucherify_webhook_sends_have_no_rule(event_type):
    envelope = copy.deepcopy(REDEMPTION_SUCCEEDED)
    envelope["type"] = envelope["event"]["type"] = event_type

    event, translation = _translate(envelope)

    assert translation.ignored == f"No enabled mapping rule sends Voucherify {event.event_type} events."
    assert translation.requests == []


def _with_metadata(**metadata):
    envelope = copy.deepcopy(REDEMPTION_SUCCEEDED)
    envelope["data"]["customer"]["metadata"] = metadata
    return envelope


def _message_size(message):
    return len(json.dumps(message, separators=(",", ":")).encode())


def test_a_message_over_32_kb_loses_the_largest_customer_metadata_first_and_says_so():
    # 20,000 + 14,000 characters alone pass 32,768 bytes; without the 20,000 the rest fits.
    envelope = _with_metadata(notes="n" * 20_000, history="h" * 14_000, tier="gold")

    _, translation = _translate(envelope)

    [request] = translation.requests
    [message] = request.body["batch"]
    customer = message["properties"]["customer"]
    assert "metadata_notes" not in customer
    assert (len(customer["metadata_history"]), customer["metadata_tier"]) == (14_000, "gold")
    assert _message_size(message) <= MAX_MESSAGE_BYTES
    # {"metadata_notes": "n…n"}: 20,000 characters + 21 for the key, quotes, colon and braces.
    assert request.notes == (
        "Customer metadata left out to keep the message within Segment's 32 KB: "
        "properties.customer.metadata_notes (20,021 bytes)."
    )


def test_trimming_goes_on_until_the_message_fits():
    # The rest of the message is about 1.5 KB: without a, b + c (31,500) still pass 32,768 bytes.
    # Each weight is the value plus 17 bytes: {"metadata_a":""}.
    envelope = _with_metadata(a="a" * 16_500, b="b" * 16_000, c="c" * 15_500, d="d")

    _, translation = _translate(envelope)

    [message] = translation.requests[0].body["batch"]
    customer = message["properties"]["customer"]
    assert (sorted(k for k in customer if k.startswith("metadata_"))) == ["metadata_c", "metadata_d"]
    assert translation.requests[0].notes == (
        "Customer metadata left out to keep the message within Segment's 32 KB: "
        "properties.customer.metadata_a (16,517 bytes); properties.customer.metadata_b (16,017 bytes)."
    )


def test_a_message_within_32_kb_is_sent_whole_without_a_note():
    _, translation = _translate(_with_metadata(notes="n" * 20_000))

    [message] = translation.requests[0].body["batch"]
    assert len(message["properties"]["customer"]["metadata_notes"]) == 20_000
    assert translation.requests[0].notes == ""


def test_a_message_too_large_without_any_customer_metadata_fails_naming_it():
    envelope = _with_metadata(notes="n" * 1_000)
    envelope["data"]["campaign"]["description"] = "d" * 40_000

    _, translation = _translate(envelope)

    assert translation.failed.startswith("Segment message 'Customer Redemption Succeeded' is ")
    assert translation.failed.endswith("bytes, over Segment's 32 KB limit, even with the customer's metadata left out.")
    assert translation.requests == []
