import base64
import copy
import hashlib
import hmac
import json

import pytest

from connectors.kinds.base import ConnectorConfig, Direction, PayloadInvalid, Unauthenticated
from connectors.kinds.voucherify_segment import KIND
from connectors.kinds.voucherify_segment.parse_out import voucherify_event_type
from connectors.kinds.voucherify_segment.samples import REDEMPTION_SUCCEEDED, SEGMENT_ENTERED
from events.rules.mapping import messages_render, rule_validate

SECRET = "whsec-sample"
SETTINGS = {
    "segment_region": "EU",
    "voucherify_api_url": "https://api.voucherify.io",
    "voucherify_app_id": "a",
}
SECRETS = {
    "voucherify_webhook_secret": SECRET,
    "segment_write_key": "sandbox-write-key",
    "voucherify_app_token": "t",
}
CONFIG = ConnectorConfig(connector_id="x", settings=SETTINGS, secrets=SECRETS, sandbox_enabled=True)
RULES = KIND.default_rules[Direction.OUT]


def _signed(payload, secret=SECRET):
    body = json.dumps(payload, indent=2).encode()
    return body, {"x-voucherify-signature": hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()}


def _translate(payload):
    [event] = KIND.parse(Direction.OUT, payload, CONFIG)
    messages = messages_render(RULES, event_type=event.event_type, context=event.context)
    return event, KIND.build(Direction.OUT, event, messages, CONFIG)


def test_signature_of_the_raw_body_is_accepted():
    body, headers = _signed(REDEMPTION_SUCCEEDED)

    assert KIND.authenticate[Direction.OUT](body, headers, CONFIG) is None


def test_signature_of_the_compact_json_is_accepted_for_a_reformatted_body():
    compact = json.dumps(SEGMENT_ENTERED, separators=(",", ":"), ensure_ascii=False).encode()
    signature = hmac.new(SECRET.encode(), compact, hashlib.sha256).hexdigest().upper()
    spaced = json.dumps(SEGMENT_ENTERED, indent=4).encode()

    assert KIND.authenticate[Direction.OUT](spaced, {"x-voucherify-signature": signature}, CONFIG) is None


def test_signature_made_with_another_secret_is_refused():
    body, headers = _signed(REDEMPTION_SUCCEEDED, secret="someone-else")

    with pytest.raises(Unauthenticated) as refused:
        KIND.authenticate[Direction.OUT](body, headers, CONFIG)

    assert refused.value.status == 401
    assert refused.value.message == (
        "The x-voucherify-signature does not match the body signed with this connector's webhook secret."
    )


def test_body_changed_after_signing_is_refused():
    body, headers = _signed(REDEMPTION_SUCCEEDED)

    with pytest.raises(Unauthenticated):
        KIND.authenticate[Direction.OUT](body.replace(b"user-3001", b"user-3002"), headers, CONFIG)


def test_missing_signature_is_refused():
    body, _ = _signed(REDEMPTION_SUCCEEDED)

    with pytest.raises(Unauthenticated) as refused:
        KIND.authenticate[Direction.OUT](body, {}, CONFIG)

    assert (refused.value.status, refused.value.message) == (
        401,
        "The x-voucherify-signature header is missing.",
    )


def test_connector_without_a_webhook_secret_refuses_every_webhook():
    config = ConnectorConfig(connector_id="x", settings=SETTINGS, secrets={"segment_write_key": "k"})
    body, headers = _signed(REDEMPTION_SUCCEEDED, secret="")

    with pytest.raises(Unauthenticated) as refused:
        KIND.authenticate[Direction.OUT](body, headers, config)

    assert refused.value.status == 401
    assert refused.value.message.startswith("This connector has no Voucherify webhook secret")


def test_redemption_becomes_a_segment_track_call_for_the_customer(settings):
    settings.VERSION = "7.3.1"

    event, translation = _translate(REDEMPTION_SUCCEEDED)

    assert (event.event_type, event.source_event_id, event.identity) == (
        "redemption.succeeded",
        "whs_Sample0Redemption01",
        "user-3001",
    )
    [request] = translation.requests
    assert (request.destination, request.method) == ("segment", "POST")
    assert request.url == "https://events.eu1.segmentapis.com/v1/batch"
    assert request.idempotency_key == "segment:whs_Sample0Redemption01"
    [message] = request.body["batch"]
    assert message["type"] == "track"
    assert message["event"] == "Customer Redemption Succeeded"
    assert message["userId"] == "user-3001"
    assert message["messageId"] == "whs_Sample0Redemption01"
    assert message["timestamp"] == "2024-03-01T12:00:00.000Z"
    assert message["context"] == {"library": {"name": "ee-connect", "version": "7.3.1"}}
    properties = message["properties"]
    assert sorted(properties) == [
        "campaign",
        "customer",
        "email",
        "holder",
        "order",
        "promotion_tier",
        "redemption",
        "voucher",
    ]
    assert properties["email"] == "alex.sample@example.com"
    assert properties["voucher"] == {
        "id": "v_Sample0Voucher",
        "code": "SPRING-2024",
        "type": "DISCOUNT_VOUCHER",
        "discount_type": "PERCENT",
        "discount_percent_off": 10,
    }
    assert properties["order"] == {
        "id": "ord_Sample0Order",
        "source_id": "order-9001",
        "amount": 5000,
        "discount_amount": 500,
    }
    assert properties["customer"]["address_city"] == "London"
    assert properties["customer"]["metadata_tier"] == "gold"
    assert (properties["holder"], properties["promotion_tier"]) == (None, None)


def test_segment_entered_distribution_is_matched_on_its_event_type():
    event, translation = _translate(SEGMENT_ENTERED)

    assert event.event_type == "customer.segment.entered"
    assert event.context["voucherify_type"] == "New customers"
    [message] = translation.requests[0].body["batch"]
    assert message["event"] == "Customer Entered Segment"
    assert message["userId"] == "a-tst"
    assert message["properties"]["segment"] == {
        "id": "seg_Sample0Segment",
        "name": "New Customers",
        "object": "segment",
    }
    assert message["properties"]["email"] is None


def test_event_without_a_customer_is_ignored():
    payload = copy.deepcopy(REDEMPTION_SUCCEEDED)
    del payload["data"]["customer"]

    _, translation = _translate(payload)

    assert translation.ignored == (
        "This redemption.succeeded event has no customer with a source_id; Voucherify sends only customer "
        "events to Segment, keyed by the customer's source_id."
    )
    assert (translation.requests, translation.failed) == ([], "")


def test_event_no_rule_maps_is_ignored():
    payload = copy.deepcopy(REDEMPTION_SUCCEEDED)
    payload["type"] = payload["event"]["type"] = "voucher.published"

    _, translation = _translate(payload)

    assert translation.ignored == "No enabled mapping rule sends Voucherify voucher.published events."
    assert translation.requests == []


def test_several_messages_get_numbered_message_ids():
    [event] = KIND.parse(Direction.OUT, REDEMPTION_SUCCEEDED, CONFIG)
    messages = [{"type": "track", "event": "A", "userId": "user-3001", "properties": {}}] * 2

    [request] = KIND.build(Direction.OUT, event, messages, CONFIG).requests

    assert [m["messageId"] for m in request.body["batch"]] == [
        "whs_Sample0Redemption01-0",
        "whs_Sample0Redemption01-1",
    ]


def test_message_over_segment_limit_fails():
    [event] = KIND.parse(Direction.OUT, REDEMPTION_SUCCEEDED, CONFIG)
    messages = [{"type": "track", "event": "Big", "userId": "user-3001", "properties": {"x": "y" * 40000}}]

    translation = KIND.build(Direction.OUT, event, messages, CONFIG)

    assert translation.failed.startswith("Segment message 'Big' is ")
    assert translation.requests == []


@pytest.mark.parametrize(
    "payload",
    [
        {"segment": {"id": "seg_1"}},
        {"customer": "cust_1", "segment": {"id": "seg_1"}},
        {"customer_profile": {"ID": "cust_1"}},
    ],
)
def test_a_body_neither_envelope_nor_raw_payload_is_refused_naming_the_fields(payload):
    with pytest.raises(PayloadInvalid) as refused:
        KIND.parse(Direction.OUT, payload, CONFIG)

    assert [error.path for error in refused.value.errors] == ["id", "type", "data"]
    assert refused.value.errors[2].message == (
        'Must be an object: an envelope carries the event in data; a raw payload ("Raw payload" ticked in '
        "the distribution) needs the customer object at its root."
    )


@pytest.mark.parametrize(
    ("name", "event_type"),
    [
        ("EVENTS.CUSTOMER.REDEMPTION.SUCCEEDED", "redemption.succeeded"),
        ("customer.redemption.rollback.failed", "redemption.rollback.failed"),
        ("EVENTS.CUSTOMER.REWARDED.MAIN", "customer.rewarded"),
        ("customer.rewarded.loyalty_points", "customer.rewarded.loyalty_points"),
        ("customer.publication.succeeded", "publication.succeeded"),
        ("EVENTS.CUSTOMER.REWARD_REDEMPTIONS.CREATED", "reward_redemptions.created"),
        ("customer.segment.left", "customer.segment.left"),
    ],
)
def test_both_webhook_families_meet_on_one_event_type(name, event_type):
    assert voucherify_event_type(name) == event_type


def test_default_rules_are_valid_and_cover_every_customer_event_a_voucherify_webhook_carries():
    assert [rule_validate(rule) for rule in RULES] == [[]] * len(RULES)
    assert [rule["event_type"] for rule in RULES] == [
        "redemption.succeeded",
        "redemption.failed",
        "redemption.rollback.succeeded",
        "redemption.rollback.failed",
        "reward_redemptions.created",
        "reward_redemptions.completed",
        "customer.rewarded",
        "customer.rewarded.loyalty_points",
        "publication.succeeded",
        "customer.segment.entered",
        "customer.segment.left",
    ]


def test_prepare_sends_segment_calls_with_the_write_key():
    _, translation = _translate(REDEMPTION_SUCCEEDED)

    prepared = KIND.prepare(translation.requests[0], CONFIG)

    assert prepared.headers["Authorization"] == "Basic " + base64.b64encode(b"sandbox-write-key:").decode()
    assert json.loads(prepared.body)["batch"] == translation.requests[0].body["batch"]


def test_interpret_leaves_segment_answers_to_the_generic_rules():
    _, translation = _translate(REDEMPTION_SUCCEEDED)

    assert KIND.interpret(translation.requests[0], 400, {}, b"{}") is None
