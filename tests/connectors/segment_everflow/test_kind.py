import copy
import json
from urllib.parse import parse_qsl, urlsplit

import pytest

from connectors.kinds.base import ConnectorConfig, Direction, OutcomeKind, PayloadInvalid
from connectors.kinds.segment_everflow import KIND
from connectors.kinds.segment_everflow.samples import MOBILE_PURCHASE, WEB_ORDER_COMPLETED

SETTINGS = {
    "tracking_domain": "http://127.0.0.1:8000/sandbox/everflow",
    "network_id": "1",
    "event_map": {"Order Completed": 0, "Purchase": 24, "Broken": "twenty"},
    "api_base_url": "http://127.0.0.1:8000/sandbox/everflow/api",
}
SECRETS = {"api_key": "sandbox-everflow-api-key"}
CONFIG = ConnectorConfig(connector_id="x", settings=SETTINGS, secrets=SECRETS, sandbox_enabled=True)
BASE = "http://127.0.0.1:8000/sandbox/everflow/?"
TID = "9d4c2b0f1e7a4c3b8a6d5e4f3a2b1c0d"
REJECT_URL = f"http://127.0.0.1:8000/sandbox/everflow/api/v1/networks/reporting/conversions/{TID}"


@pytest.fixture
def small_url_limit(monkeypatch):
    """A tracking domain that accepts only 500-character request lines."""
    monkeypatch.setattr("connectors.kinds.segment_everflow.build.MAX_URL_CHARS", 500)


def _config(settings=None, secrets=SECRETS):
    return ConnectorConfig(connector_id="x", settings={**SETTINGS, **(settings or {})}, secrets=secrets)


def _translate(message, config=CONFIG):
    [event] = KIND.parse(Direction.IN, message, config)
    return KIND.build(Direction.IN, event, [], config)


def _query(message, config=CONFIG) -> dict[str, str]:
    [request] = _translate(message, config).requests
    return dict(parse_qsl(urlsplit(request.url).query, keep_blank_values=True))


def _web(event="Order Completed", **properties):
    message = copy.deepcopy(WEB_ORDER_COMPLETED)
    message["event"] = event
    message["properties"] = properties
    return message


def _bare(event="Order Completed", **properties):
    message = _web(event, **properties)
    message["context"] = {}
    return message


def test_web_order_sends_each_value_under_its_postback_name():
    message = copy.deepcopy(WEB_ORDER_COMPLETED)
    message["properties"]["products"] = [{"sku": "SKU-45790-32", "quantity": 1, "price": 12.5}]

    translation = _translate(message)

    [request] = translation.requests
    assert (request.destination, request.method, request.body) == ("everflow", "GET", None)
    # user_ip/user_agent (not the report fields conversion_user_ip/http_user_agent), order as one
    # JSON object as EF.conversion() sends it; 12.5 x 1 is the line price.
    assert request.url == BASE + (
        "nid=1&transaction_id=9d4c2b0f1e7a4c3b8a6d5e4f3a2b1c0d&user_ip=203.0.113.7"
        "&user_agent=Mozilla%2F5.0+%28Macintosh%3B+Intel+Mac+OS+X+10_15_7%29&email=pat%40example.com"
        "&adv1=newsletter&adv3=2&coupon_code=SPRING10&order_id=o283h08fh2390f923uofu23&amount=27.5"
        "&order=%7B%22oid%22%3A%22o283h08fh2390f923uofu23%22%2C%22amt%22%3A27.5%2C%22cc%22%3A%22SPRING10%22"
        "%2C%22items%22%3A%5B%7B%22ps%22%3A%22SKU-45790-32%22%2C%22qty%22%3A1%2C%22p%22%3A12.5%7D%5D%7D"
    )
    assert request.notes == ""
    assert request.idempotency_key == f"everflow:{TID}:0:order:o283h08fh2390f923uofu23"
    assert (translation.ignored, translation.failed) == ("", "")


def test_the_order_detail_prices_each_line_and_names_the_product_names_left_out():
    products = [
        {"sku": "A-1", "name": "Monopoly", "quantity": 2, "price": "9,99"},
        {"sku": 4711, "quantity": 1},
        {"name": "Gift wrap"},
    ]

    [request] = _translate(_bare(orderId="o-1", total=30, products=products, transaction_id="t-1")).requests

    query = dict(parse_qsl(urlsplit(request.url).query))

    # 2 x 9.99 = 19.98; the third product has neither SKU nor quantity nor price: no item.
    assert json.loads(query["order"]) == {
        "oid": "o-1",
        "amt": 30,
        "items": [{"ps": "A-1", "qty": 2, "p": 19.98}, {"ps": "4711", "qty": 1}],
    }
    assert request.notes == (
        "Not sent (an Everflow postback has no parameter for them): properties.products[0].name, "
        "properties.products[2].name."
    )


def test_the_sample_web_order_builds_its_order_detail_and_says_what_is_left_out():
    query = _query(WEB_ORDER_COMPLETED)

    assert json.loads(query["order"])["items"] == [{"ps": "SKU-45790-32", "qty": 1}, {"ps": "SKU-46493-32", "qty": 2}]
    assert "order_line_items[0].sku" not in query


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        # Seed 002: the mapping names brand (advertiser) events; the SDK sends them as adv_event_id.
        ("Purchase", {"adv_event_id": "24"}),
        # 0 is the base conversion: no event parameter at all.
        ("Order Completed", {}),
    ],
)
def test_a_brand_event_is_sent_as_adv_event_id_and_never_as_event_id(event, expected):
    query = _query(_bare(event, transaction_id="abc"))

    assert query == {"nid": "1", "transaction_id": "abc", **expected}


def test_event_ids_given_as_text_in_the_mapping_are_read_as_numbers():
    config = _config({"event_map": {"Purchase": " 24 "}})

    assert _query(_bare("Purchase", transaction_id="abc"), config)["adv_event_id"] == "24"


@pytest.mark.parametrize("value", ["twenty", -1, True, 2.5, None])
def test_an_event_map_value_that_is_not_an_event_id_fails(value):
    config = _config({"event_map": {"Broken": value}})

    translation = _translate(_bare("Broken", transaction_id="abc"), config)

    assert translation.failed == (
        f"The event mapping sends 'Broken' to {value!r}, which is not an Everflow event id "
        "(a whole number, 0 for the base conversion)."
    )
    assert translation.requests == []


@pytest.mark.parametrize(
    ("referrer", "properties", "sent"),
    [
        ({"type": "everflow", "id": "r-1"}, {"transaction_id": "p-1"}, "r-1"),
        ({"type": "Everflow", "id": "r-1"}, {}, "r-1"),
        ({"type": "EVERFLOW", "id": "r-1"}, {}, "r-1"),
        ({"type": " everflow ", "id": "r-1"}, {}, "r-1"),
        ({"type": "other", "id": "r-1"}, {"tid": "p-3"}, "p-3"),
        ({"type": "everflow", "id": ""}, {"transactionId": "p-2"}, "p-2"),
        ({"id": "r-1"}, {"transaction_id": "p-1"}, "p-1"),
        ({"type": "everflow", "id": 12345}, {}, "12345"),
    ],
)
def test_the_click_id_is_found_whatever_the_case_of_the_referrer_type(referrer, properties, sent):
    message = _bare(**properties)
    message["context"]["referrer"] = referrer

    assert _query(message)["transaction_id"] == sent


def test_a_transaction_id_over_332_characters_is_cut_as_the_sdk_cuts_it():
    long_id = "h" * 33 + "x" * 100 + "t" * 297

    [request] = _translate(_bare(transaction_id=long_id)).requests

    # 33 + 100 + 297 = 430 characters: the first 33 and the last 297 are sent (330).
    assert dict(parse_qsl(urlsplit(request.url).query))["transaction_id"] == "h" * 33 + "t" * 297
    assert request.notes == (
        "properties.transaction_id has 430 characters: sent as its first 33 and last 297, as Everflow's SDK "
        "sends a transaction id over 332."
    )


def test_a_transaction_id_of_332_characters_is_sent_whole():
    assert _query(_bare(transaction_id="t" * 332))["transaction_id"] == "t" * 332


def test_a_transaction_id_of_333_characters_is_cut():
    # 333 is over the SDK's 332: the first 33 and the last 297 are kept, 330 characters.
    assert _query(_bare(transaction_id="h" * 33 + "x" * 3 + "t" * 297))["transaction_id"] == "h" * 33 + "t" * 297


def test_missing_transaction_id_fails_naming_it():
    translation = _translate(_bare(total=10))

    assert translation.failed == (
        'transaction_id is required by Everflow: set context.referrer to {"type": "everflow", "id": '
        "<EF.getAdvertiserTransactionId()>}, or send properties.transaction_id."
    )
    assert translation.requests == []


@pytest.mark.parametrize(
    ("properties", "order_id"),
    [
        ({"orderId": "o283h08fh2390f923uofu23"}, "o283h08fh2390f923uofu23"),
        ({"order_id": "o283h08fh2390f923uofu23"}, "o283h08fh2390f923uofu23"),
        ({"orderId": 50314}, "50314"),
        ({"orderId": "A", "order_id": "B"}, "A"),
        ({"orderId": " ", "order_id": "B"}, "B"),
    ],
)
def test_order_ids_are_strings_as_segment_sends_them(properties, order_id):
    assert _query(_bare(transaction_id="t", **properties))["order_id"] == order_id


@pytest.mark.parametrize(
    ("properties", "amount"),
    [
        ({"total": 27.5}, "27.5"),
        ({"total": "12,34"}, "12.34"),  # Everflow reads &amount=12,34 as 12.34
        ({"total": "19.90"}, "19.9"),
        ({"total": 0}, "0"),
        ({"total": "1e2"}, "100"),
        ({"revenue": 5, "value": 6, "price": 7}, "5"),
        ({"value": 6, "price": 7}, "6"),
        ({"price": 7}, "7"),
        ({"total": 1, "revenue": 5}, "1"),
        ({"total": "", "revenue": 5}, "5"),
    ],
)
def test_amount_is_total_then_revenue_value_price_in_the_forms_everflow_reads(properties, amount):
    assert _query(_bare(transaction_id="t", **properties))["amount"] == amount


@pytest.mark.parametrize(
    ("properties", "failure"),
    [
        ({"total": "NaN"}, "properties.total ('NaN') must be an amount of 0 or more"),
        ({"total": float("inf")}, "properties.total (inf) must be an amount of 0 or more"),
        ({"total": -1}, "properties.total (-1) must be an amount of 0 or more"),
        ({"total": "1,234.50"}, "properties.total ('1,234.50') must be an amount of 0 or more"),
        ({"total": "12,3,4"}, "properties.total ('12,3,4') must be an amount of 0 or more"),
        ({"revenue": "ten"}, "properties.revenue ('ten') must be an amount of 0 or more"),
        ({"total": True}, "properties.total (True) must be an amount of 0 or more"),
    ],
)
def test_an_amount_everflow_would_misread_fails_naming_the_field(properties, failure):
    translation = _translate(_bare(transaction_id="t", **properties))

    assert translation.failed == failure + " (a number, or text such as 12.34 or 12,34) for Everflow's amount."
    assert translation.requests == []


@pytest.mark.parametrize(
    ("properties", "failure"),
    [
        ({"orderId": True}, "properties.orderId (True) must be a string or a number for Everflow's order_id."),
        (
            {"orderId": {"id": 1}},
            "properties.orderId ({'id': 1}) must be a string or a number for Everflow's order_id.",
        ),
        ({"coupon": True}, "properties.coupon (True) must be a string or a number for Everflow's coupon_code."),
        ({"affiliateId": "seven"}, "properties.affiliateId ('seven') must be a whole number for Everflow's affid."),
        ({"affiliateId": 7.5}, "properties.affiliateId (7.5) must be a whole number for Everflow's affid."),
        (
            {"adv4": {"a": 1}},
            "properties.adv4 ({'a': 1}) must be a string, a number or true/false for Everflow's adv4.",
        ),
        (
            {"products": [{"quantity": "two"}]},
            "properties.products[0].quantity ('two') must be a number for Everflow's order items.",
        ),
        (
            {"products": [{"sku": True}]},
            "properties.products[0].sku (True) must be a string or a number for Everflow's order items.",
        ),
        ({"products": "many"}, "properties.products must be a list of products."),
        ({"products": ["x"]}, "properties.products[0] must be an object."),
    ],
)
def test_values_of_a_type_the_table_refuses_fail_naming_the_field(properties, failure):
    translation = _translate(_web(**properties))

    assert translation.failed == failure
    assert translation.requests == []


def test_affiliate_is_sent_as_affid_and_email_falls_back_to_properties():
    query = _query(_bare(transaction_id="t", affiliateId="12", email="p@example.com"))

    assert query == {"nid": "1", "transaction_id": "t", "email": "p@example.com", "affid": "12"}


@pytest.mark.parametrize(
    ("device", "expected"),
    [
        ({"type": "ios", "advertisingId": "IDFA-1"}, {"idfa": "IDFA-1"}),
        ({"type": "iPadOS", "advertisingId": "IDFA-1"}, {"idfa": "IDFA-1"}),
        (
            {"type": "android", "advertisingId": "GAID-1", "id": "dev-9"},
            {"google_aid": "GAID-1", "android_id": "dev-9"},
        ),
        ({"type": "android", "id": "dev-9"}, {"android_id": "dev-9"}),
        ({"type": "ios", "id": "dev-9"}, {}),
    ],
)
def test_mobile_sources_send_app_id_and_the_device_ids(device, expected):
    message = _bare("Purchase", transaction_id="t")
    message["context"] = {"ip": "198.51.100.23", "app": {"namespace": "com.example.shop"}, "device": device}

    assert _query(message) == {
        "nid": "1",
        "transaction_id": "t",
        "adv_event_id": "24",
        "user_ip": "198.51.100.23",
        "app_id": "com.example.shop",
        **expected,
    }


@pytest.mark.parametrize("device_type", ["web", "", None, "windows", 3])
def test_a_source_that_is_not_mobile_needs_neither_app_nor_ip(device_type):
    message = _bare(transaction_id="t")
    message["context"] = {"device": {"type": device_type, "advertisingId": "AD-1"}}

    assert _query(message) == {"nid": "1", "transaction_id": "t"}


def test_the_sample_mobile_purchase_names_the_mobile_fields_no_postback_parameter_carries():
    [request] = _translate(MOBILE_PURCHASE).requests

    assert request.url == BASE + (
        "nid=1&transaction_id=5f1e2d3c4b5a69788796a5b4c3d2e1f0&adv_event_id=24&user_ip=198.51.100.23"
        "&adv2=true&amount=12.99&app_id=com.example.shop&idfa=6D92078A-8246-4BA4-AE5B-76104861E7DC"
    )
    assert request.notes == (
        "Not sent (an Everflow postback has no parameter for them): context.device.adTrackingEnabled, "
        "context.app.name, context.app.version, context.device.manufacturer, context.device.model, "
        "context.network.carrier, context.os.name, context.os.version, context.network.wifi, "
        "context.location.latitude, context.location.longitude."
    )
    assert request.idempotency_key == "everflow:ios-2c1d9e8f-7a6b-4c5d-8e9f-0a1b2c3d4e5f"


@pytest.mark.parametrize(
    ("missing", "failure"),
    [
        ("app", "context.app.namespace is required by Everflow (app_id) for mobile sources."),
        ("ip", "context.ip is required by Everflow (user_ip) for mobile sources."),
    ],
)
def test_a_mobile_source_without_a_required_field_fails_naming_it(missing, failure):
    message = copy.deepcopy(MOBILE_PURCHASE)
    del message["context"][missing]

    translation = _translate(message)

    assert translation.failed == failure
    assert translation.requests == []


def test_a_postback_over_the_url_limit_leaves_out_the_order_detail_and_says_so(small_url_limit):
    translation = _translate(WEB_ORDER_COMPLETED)

    [request] = translation.requests
    assert "order=" not in request.url
    assert request.url.endswith("&order_id=o283h08fh2390f923uofu23&amount=27.5")
    assert request.notes == (
        "Not sent, to keep the postback within 500 characters: order. Not sent (an Everflow postback has no "
        "parameter for them): properties.products[0].name, properties.products[1].name."
    )


def test_a_long_user_agent_is_left_out_after_the_order_detail(small_url_limit):
    message = copy.deepcopy(WEB_ORDER_COMPLETED)
    message["context"]["userAgent"] = "Mozilla/5.0 " + "x" * 300
    del message["properties"]["products"]

    [request] = _translate(message).requests

    assert "user_agent" not in request.url
    assert len(request.url) == 226
    assert request.notes == "Not sent, to keep the postback within 500 characters: user_agent."


def test_a_postback_too_long_without_its_optional_parameters_fails_in_words(small_url_limit):
    message = copy.deepcopy(WEB_ORDER_COMPLETED)
    message["properties"]["adv1"] = "n" * 400

    translation = _translate(message)

    assert translation.requests == []
    assert translation.failed.startswith(
        "The postback would be 656 characters, over the 500 the delivery log keeps, even without its optional "
        "parameters"
    )


def test_the_verification_token_is_counted_in_the_url_limit(small_url_limit):
    message = copy.deepcopy(WEB_ORDER_COMPLETED)
    message["properties"]["products"] = [{"sku": "S", "quantity": 1}]
    with_token = _config(secrets={"verification_token": "t" * 150})

    assert "order=" in _translate(message).requests[0].url
    assert "order=" not in _translate(message, with_token).requests[0].url


def test_unmapped_event_is_ignored():
    translation = _translate(_web("Product Viewed"))

    assert translation.ignored == "Event 'Product Viewed' is not in this connector's event mapping."
    assert (translation.requests, translation.failed) == ([], "")


def test_non_track_call_is_ignored():
    translation = _translate({"type": "identify", "userId": "u1", "traits": {"email": "a@example.com"}})

    assert translation.ignored == "Everflow receives track events only, not identify calls."
    assert translation.requests == []


def test_parse_refuses_a_message_without_identity_or_event_name():
    with pytest.raises(PayloadInvalid) as refused:
        KIND.parse(Direction.IN, {"batch": [{"type": "track"}, {"type": "nope", "userId": "u"}]}, CONFIG)

    assert [(e.path, e.message) for e in refused.value.errors] == [
        ("batch[0].event", "A track call needs an event name."),
        ("batch[0].userId", "Either userId or anonymousId is required (non-empty text)."),
        ("batch[1].type", "Must be one of: track, identify, page, screen, group, alias."),
    ]


# Refunds ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "setting", "refund"),
    [
        ("Order Refunded", "", True),
        ("Order Cancelled", "", True),
        ("order refunded", "", True),
        ("Order Returned", "Order Returned, Chargeback", True),
        ("Chargeback", "Order Returned, Chargeback", True),
        ("Order Returned", "", False),
        ("Refund Policy Viewed", "", False),
        ("Non-refundable Deposit Paid", "", False),
        ("Order Refunded Twice", "", False),
    ],
)
def test_a_refund_is_a_spec_refund_event_or_one_staff_list(event, setting, refund):
    config = _config({"refund_events": setting, "event_map": {event: 0}})

    [request] = _translate(_bare(event, transaction_id=TID, total=5), config).requests

    assert request.method == ("PATCH" if refund else "GET")


def test_a_refund_rejects_the_clicks_conversion_through_the_api_instead_of_posting_a_sale():
    message = _web("Order Refunded", orderId="o283h08fh2390f923uofu23", total=27.5)

    translation = _translate(message)

    [request] = translation.requests
    assert (request.destination, request.method, request.url) == ("everflow", "PATCH", REJECT_URL)
    assert request.body == {"conversion_status": "rejected"}
    assert request.idempotency_key == f"everflow:refund:{TID}:ajs-next-7f3c2a1e-0b4d-4a55-9c1e-0d2f4b6a8c10"
    assert (translation.ignored, translation.failed) == ("", "")


def test_a_refund_is_sent_even_when_the_event_mapping_lists_it_as_a_sale():
    config = _config({"event_map": {"Order Refunded": 0}})

    [request] = _translate(_bare("Order Refunded", transaction_id="t/1 2"), config).requests

    # The transaction id is one path segment, escaped.
    assert request.url == "http://127.0.0.1:8000/sandbox/everflow/api/v1/networks/reporting/conversions/t%2F1%202"


def test_the_api_base_defaults_to_everflows():
    settings = {key: value for key, value in SETTINGS.items() if key != "api_base_url"}
    config = ConnectorConfig(connector_id="x", settings=settings, secrets=SECRETS)

    [request] = _translate(_bare("Order Refunded", transaction_id="abc"), config).requests

    assert request.url == "https://api.eflow.team/v1/networks/reporting/conversions/abc"


def test_a_refund_without_the_api_key_fails_in_words():
    translation = _translate(_bare("Order Refunded", transaction_id="abc"), _config(secrets={}))

    assert translation.failed == (
        "'Order Refunded' is a refund: rejecting the conversion needs the Everflow network API key "
        "(Control Center → Security), which this connector does not have."
    )
    assert translation.requests == []


def test_a_refund_without_a_click_id_fails_naming_it():
    translation = _translate(_bare("Order Cancelled", total=5))

    assert translation.failed.startswith(
        "'Order Cancelled' is a refund, so it rejects the click's conversion: transaction_id is required by Everflow"
    )
    assert translation.requests == []


def test_two_refunds_of_one_order_are_two_deliveries():
    first = _bare("Order Refunded", transaction_id="abc", total=5)
    second = copy.deepcopy(first)
    second["messageId"] = "ajs-next-second"

    keys = [_translate(message).requests[0].idempotency_key for message in (first, second)]

    assert keys == [
        "everflow:refund:abc:ajs-next-7f3c2a1e-0b4d-4a55-9c1e-0d2f4b6a8c10",
        "everflow:refund:abc:ajs-next-second",
    ]


def test_prepare_sends_the_rejection_with_the_api_key_header():
    [request] = _translate(_bare("Order Refunded", transaction_id="abc")).requests

    prepared = KIND.prepare(request, CONFIG)

    assert (prepared.method, prepared.url) == (
        "PATCH",
        "http://127.0.0.1:8000/sandbox/everflow/api/v1/networks/reporting/conversions/abc",
    )
    assert prepared.headers == {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-Eflow-API-Key": "sandbox-everflow-api-key",
    }
    assert prepared.body == b'{"conversion_status":"rejected"}'


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (200, b'{"result":true}', None),
        (200, b'{"result":false}', "Everflow did not confirm the rejection (it answered {'result': False}, not "
         '{"result": true}).'),
        (200, b"", "Everflow did not confirm the rejection (it answered None, not {\"result\": true})."),
        (200, b'{"result":"false"}', "Everflow did not confirm the rejection (it answered {'result': 'false'}, "
         'not {"result": true}).'),
        (401, b'{"error":"Invalid API key"}', "Everflow refused the API key (HTTP 401): set a network API key "
         "from Control Center → Security. Everflow said: Invalid API key"),
        (403, b"", "Everflow refused the API key (HTTP 403): set a network API key from Control Center → Security."),
        (404, b"", "Everflow has no conversion for this transaction id, so there is nothing to reject."),
        (400, b'{"error":"bad"}', "Everflow refused to reject the conversion (HTTP 400). Everflow said: bad"),
        (429, b"", None),
        (408, b"", None),
        (503, b"", None),
    ],
)
def test_interpret_reads_the_rejections_answer(status, body, expected):
    [request] = _translate(_bare("Order Refunded", transaction_id="abc")).requests

    outcome = KIND.interpret(request, status, {}, body)

    # None leaves the pipeline's rules: 2xx succeeds, 429/5xx are retried.
    assert (None if outcome is None else (outcome.kind, outcome.reason)) == (
        None if expected is None else (OutcomeKind.TERMINAL, expected)
    )


# Sending and answers ---------------------------------------------------------------------------


def test_prepare_adds_the_verification_token_at_send_time():
    config = _config(secrets={"verification_token": "t&k"})
    [request] = _translate(_bare(transaction_id="abc")).requests

    prepared = KIND.prepare(request, config)

    assert prepared.url == BASE + "nid=1&transaction_id=abc&verification_token=t%26k"
    assert (prepared.method, prepared.body, prepared.headers) == ("GET", b"", {"Accept": "application/json"})
    assert "verification_token" not in request.url


def test_prepare_without_token_sends_the_stored_url():
    [request] = _translate(_bare(transaction_id="abc")).requests

    assert KIND.prepare(request, CONFIG).url == request.url


def test_interpret_204_is_a_rejected_conversion():
    [request] = _translate(WEB_ORDER_COMPLETED).requests

    outcome = KIND.interpret(request, 204, {}, b"")

    assert outcome.kind is OutcomeKind.TERMINAL
    assert outcome.reason == (
        "Everflow rejected the conversion (HTTP 204, empty answer): the transaction id, the offer's event or its "
        "lookback window did not match a click."
    )


@pytest.mark.parametrize(
    ("code", "words"),
    [
        (8, "duplicate: this click already has this conversion"),
        (13, "the click is not valid"),
        (12, "the transaction id is not valid"),
        (11, "the network id (nid) is not valid"),
        (99, "see Everflow's conversion error codes"),
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
        (500, b'{"code":8}'),
        (400, b"not json"),
        (429, b'{"code":429,"error":"Too many requests"}'),
        (408, b'{"code":8}'),
    ],
)
def test_interpret_leaves_other_answers_to_the_generic_rules(status, body):
    [request] = _translate(WEB_ORDER_COMPLETED).requests

    assert KIND.interpret(request, status, {}, body) is None
