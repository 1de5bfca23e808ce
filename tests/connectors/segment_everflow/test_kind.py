import copy
import json

import pytest

from connectors.kinds.base import ConnectorConfig, Direction, OutcomeKind, PayloadInvalid
from connectors.kinds.segment_everflow import KIND
from connectors.kinds.segment_everflow.samples import MOBILE_PURCHASE, WEB_ORDER_COMPLETED

SETTINGS = {
    "tracking_domain": "http://127.0.0.1:8000/sandbox/everflow",
    "network_id": "1",
    "event_map": {"Order Completed": 0, "Purchase": 24, "Broken": "twenty"},
}
CONFIG = ConnectorConfig(connector_id="x", settings=SETTINGS, secrets={}, sandbox_enabled=True)
BASE = "http://127.0.0.1:8000/sandbox/everflow/?"



@pytest.fixture
def small_url_limit(monkeypatch):
    """A tracking domain that accepts only 500-character request lines."""
    monkeypatch.setattr("connectors.kinds.segment_everflow.MAX_URL_CHARS", 500)


def _translate(message, config=CONFIG):
    [event] = KIND.parse(Direction.IN, message, config)
    return KIND.build(Direction.IN, event, [], config)


def _web(**properties):
    message = copy.deepcopy(WEB_ORDER_COMPLETED)
    message["properties"] = properties
    return message


def _bare(**properties):
    message = _web(**properties)
    message["context"] = {}
    return message


def test_web_order_sends_every_all_sources_parameter():
    message = copy.deepcopy(WEB_ORDER_COMPLETED)
    del message["properties"]["products"][1]

    translation = _translate(message)

    [request] = translation.requests
    assert request.method == "GET"
    assert request.body is None
    assert request.url == BASE + (
        "nid=1&transaction_id=9d4c2b0f1e7a4c3b8a6d5e4f3a2b1c0d&conversion_user_ip=203.0.113.7"
        "&http_user_agent=Mozilla%2F5.0+%28Macintosh%3B+Intel+Mac+OS+X+10_15_7%29&email=pat%40example.com"
        "&adv1=newsletter&adv3=2&coupon_code=SPRING10&order_id=50314&amount=27.5"
        "&order_line_items%5B0%5D.quantity=1&order_line_items%5B0%5D.name=Monopoly%3A+3rd+Edition"
        "&order_line_items%5B0%5D.sku=SKU-45790-32"
    )
    assert request.notes == ""
    assert request.idempotency_key == "everflow:9d4c2b0f1e7a4c3b8a6d5e4f3a2b1c0d:0:order:50314"
    assert (translation.ignored, translation.failed) == ("", "")


def test_a_postback_over_the_url_limit_leaves_out_the_line_items_and_says_so(small_url_limit):
    translation = _translate(WEB_ORDER_COMPLETED)

    [request] = translation.requests
    assert request.url == BASE + (
        "nid=1&transaction_id=9d4c2b0f1e7a4c3b8a6d5e4f3a2b1c0d&conversion_user_ip=203.0.113.7"
        "&http_user_agent=Mozilla%2F5.0+%28Macintosh%3B+Intel+Mac+OS+X+10_15_7%29&email=pat%40example.com"
        "&adv1=newsletter&adv3=2&coupon_code=SPRING10&order_id=50314&amount=27.5"
    )
    assert request.notes == "Not sent, to keep the postback within 500 characters: order line items."


def test_a_long_user_agent_is_left_out_after_the_line_items(small_url_limit):
    message = copy.deepcopy(WEB_ORDER_COMPLETED)
    message["context"]["userAgent"] = "Mozilla/5.0 " + "x" * 300

    [request] = _translate(message).requests

    assert "http_user_agent" not in request.url
    assert "order_line_items" not in request.url
    assert len(request.url) == 219
    assert request.notes == (
        "Not sent, to keep the postback within 500 characters: order line items, http_user_agent."
    )


def test_a_postback_too_long_without_its_optional_parameters_fails_in_words(small_url_limit):
    message = copy.deepcopy(WEB_ORDER_COMPLETED)
    message["properties"]["adv1"] = "n" * 400

    translation = _translate(message)

    assert translation.requests == []
    assert translation.failed.startswith(
        "The postback would be 649 characters, over the 500 the delivery log keeps, even without its optional "
        "parameters"
    )


def test_the_verification_token_is_counted_in_the_url_limit(small_url_limit):
    message = copy.deepcopy(WEB_ORDER_COMPLETED)
    del message["properties"]["products"][1]
    config = ConnectorConfig(connector_id="x", settings=SETTINGS, secrets={"verification_token": "t" * 120})

    [request] = _translate(message, config).requests

    assert "order_line_items" not in request.url
    assert request.notes == "Not sent, to keep the postback within 500 characters: order line items."


def test_mobile_source_adds_the_mobile_table_and_advertising_id():
    [request] = _translate(MOBILE_PURCHASE).requests

    assert request.url == BASE + (
        "nid=1&transaction_id=5f1e2d3c4b5a69788796a5b4c3d2e1f0&event_id=24&conversion_user_ip=198.51.100.23"
        "&adv2=true&amount=12.99&app_id=com.example.shop&limit_ad_tracking=false&app_name=Example+Shop"
        "&app_version=4.2.1&device_make=Apple&device_model=iPhone15%2C2&carrier=Example+Mobile&os=iOS"
        "&os_version=17.3&connection_type=wifi&latitude=51.5074&longitude=-0.1278"
        "&idfa=6D92078A-8246-4BA4-AE5B-76104861E7DC"
    )
    assert request.idempotency_key == "everflow:ios-2c1d9e8f-7a6b-4c5d-8e9f-0a1b2c3d4e5f"


def test_android_source_sends_google_aid_and_cellular_connection():
    message = copy.deepcopy(MOBILE_PURCHASE)
    message["context"]["device"] = {
        "type": "android",
        "advertisingId": "38400000-8cf0-11bd-b23e-10b96e40000d",
        "adTrackingEnabled": False,
    }
    message["context"]["network"] = {"wifi": False, "cellular": True}

    [request] = _translate(message).requests

    assert "&limit_ad_tracking=true&" in request.url
    assert "&connection_type=cellular&" in request.url
    assert request.url.endswith("&google_aid=38400000-8cf0-11bd-b23e-10b96e40000d")
    assert "idfa=" not in request.url


def test_mobile_source_without_app_namespace_fails_naming_it():
    message = copy.deepcopy(MOBILE_PURCHASE)
    del message["context"]["app"]["namespace"]

    translation = _translate(message)

    assert translation.failed == "context.app.namespace is required by Everflow (app_id) for mobile sources."
    assert translation.requests == []


def test_mobile_source_without_ip_fails_naming_it():
    message = copy.deepcopy(MOBILE_PURCHASE)
    del message["context"]["ip"]

    translation = _translate(message)

    assert translation.failed == "context.ip is required by Everflow (conversion_user_ip) for mobile sources."
    assert translation.requests == []


def test_transaction_id_from_properties_when_referrer_is_not_everflow():
    message = _bare(tid="abc123")
    message["context"]["referrer"] = {"type": "other", "id": "ignored"}

    [request] = _translate(message).requests

    assert request.url == BASE + "nid=1&transaction_id=abc123"


def test_missing_transaction_id_fails_naming_it():
    message = _bare(total=10)

    translation = _translate(message)

    assert translation.failed.startswith("transaction_id is required by Everflow")
    assert translation.requests == []


@pytest.mark.parametrize(
    ("properties", "failure"),
    [
        ({"total": "NaN"}, "properties.total ('NaN') must be a number for Everflow's amount."),
        ({"total": float("inf")}, "properties.total (inf) must be a number for Everflow's amount."),
        ({"revenue": "ten"}, "properties.revenue ('ten') must be a number for Everflow's amount."),
        ({"orderId": "o-283"}, "properties.orderId ('o-283') must be a number for Everflow's order_id."),
        (
            {"coupon": True},
            "properties.coupon (True) must be a string or a number for Everflow's coupon_code.",
        ),
        (
            {"adv4": {"a": 1}},
            "properties.adv4 ({'a': 1}) must be a string, a number or true/false for Everflow's adv4.",
        ),
        (
            {"products": [{"quantity": "two"}]},
            "properties.products[0].quantity ('two') must be a number for Everflow's "
            "order_line_items[0].quantity.",
        ),
        ({"products": "many"}, "properties.products must be a list of products."),
    ],
)
def test_values_of_a_type_the_table_refuses_fail_naming_the_field(properties, failure):
    translation = _translate(_web(**properties))

    assert translation.failed == failure
    assert translation.requests == []


def test_amount_falls_back_to_revenue_and_numbers_are_coerced_to_text():
    [request] = _translate(_web(revenue="19.90", order_id="77", affiliateId=12)).requests

    assert request.url.endswith("&order_id=77&affiliate_id=12&amount=19.9")
    assert request.idempotency_key == "everflow:9d4c2b0f1e7a4c3b8a6d5e4f3a2b1c0d:0:order:77"


def test_unmapped_event_is_ignored():
    message = _web()
    message["event"] = "Product Viewed"

    translation = _translate(message)

    assert translation.ignored == "Event 'Product Viewed' is not in this connector's event mapping."
    assert (translation.requests, translation.failed) == ([], "")


def test_non_track_call_is_ignored():
    translation = _translate({"type": "identify", "userId": "u1", "traits": {"email": "a@example.com"}})

    assert translation.ignored == "Everflow receives track events only, not identify calls."
    assert translation.requests == []


def test_event_map_value_that_is_not_an_event_id_fails():
    message = _web()
    message["event"] = "Broken"

    translation = _translate(message)

    assert translation.failed == (
        "The event mapping sends 'Broken' to 'twenty', which is not an Everflow event id "
        "(a whole number, 0 for the base conversion)."
    )
    assert translation.requests == []


def test_parse_refuses_a_message_without_identity_or_event_name():
    with pytest.raises(PayloadInvalid) as refused:
        KIND.parse(Direction.IN, {"batch": [{"type": "track"}, {"type": "nope", "userId": "u"}]}, CONFIG)

    assert [(e.path, e.message) for e in refused.value.errors] == [
        ("batch[0].event", "A track call needs an event name."),
        ("batch[0].userId", "Either userId or anonymousId is required (non-empty text)."),
        ("batch[1].type", "Must be one of: track, identify, page, screen, group, alias."),
    ]


def test_prepare_adds_the_verification_token_at_send_time():
    config = ConnectorConfig(connector_id="x", settings=SETTINGS, secrets={"verification_token": "t&k"})
    [request] = _translate(_bare(transaction_id="abc")).requests

    prepared = KIND.prepare(request, config)

    assert prepared.url == BASE + "nid=1&transaction_id=abc&verification_token=t%26k"
    assert (prepared.method, prepared.body) == ("GET", b"")
    assert "verification_token" not in request.url


def test_prepare_without_token_sends_the_stored_url():
    [request] = _translate(_bare(transaction_id="abc")).requests

    assert KIND.prepare(request, CONFIG).url == request.url


def test_interpret_204_is_a_rejected_conversion():
    [request] = _translate(WEB_ORDER_COMPLETED).requests

    outcome = KIND.interpret(request, 204, {}, b"")

    assert outcome.kind is OutcomeKind.TERMINAL
    assert outcome.reason.startswith("Everflow rejected the conversion (HTTP 204, empty answer)")


@pytest.mark.parametrize(
    ("code", "words"),
    [
        (8, "duplicate: this click already has this conversion"),
        (13, "the click is not valid"),
        (12, "the transaction id is not valid"),
        (11, "the network id (nid) is not valid"),
    ],
)
def test_interpret_explains_everflow_error_codes(code, words):
    [request] = _translate(WEB_ORDER_COMPLETED).requests

    outcome = KIND.interpret(request, 400, {}, json.dumps({"code": code, "error": "Refused"}).encode())

    assert outcome.kind is OutcomeKind.TERMINAL
    assert outcome.reason.startswith(f"Everflow refused the conversion, error {code}: {words}")
    assert outcome.reason.endswith("(Refused).")


def test_interpret_a_duplicate_answered_200_is_refused_in_words():
    [request] = _translate(WEB_ORDER_COMPLETED).requests
    body = json.dumps({"code": 8, "error": "Duplicate conversion", "conversion_id": "c0ffee"}).encode()

    outcome = KIND.interpret(request, 200, {}, body)

    assert outcome.kind is OutcomeKind.TERMINAL
    assert outcome.reason == (
        "Everflow refused the conversion, error 8: duplicate: this click already has this conversion (turn on "
        '"Allow Duplicate Conversions" on the offer if repeats are expected) (Duplicate conversion).'
    )


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (200, b""),
        (200, b'{"result":"success","conversion_id":"c0ffee"}'),
        (500, b"{}"),
        (400, b"not json"),
        (429, b'{"code":429,"error":"Too many requests"}'),
    ],
)
def test_interpret_leaves_other_answers_to_the_generic_rules(status, body):
    [request] = _translate(WEB_ORDER_COMPLETED).requests

    assert KIND.interpret(request, status, {}, body) is None
