import copy
import hashlib
import json

import pytest

from connectors.kinds.base import Direction, OutcomeKind
from connectors.kinds.segment_perkville import KIND
from connectors.kinds.segment_perkville.samples import AUDIENCE_ENTERED, CHECKED_IN, ORDER_COMPLETED
from tests.connectors.segment_perkville.support import CONFIG, URL, config_make, order, translate


def test_order_completed_is_a_spend_transaction_worth_its_revenue():
    translation = translate(ORDER_COMPLETED)

    [request] = translation.requests
    assert (request.destination, request.method, request.url) == ("perkville", "POST", URL)
    assert request.body == {
        "business": 42,
        "location": 7,
        "perk": 111,
        "quantity": 9.99,
        "email": "example@example.com",
        "send_email": True,
        "trans_source_id": "segment-111-order-o283h08fh2390f923uofu23",
    }
    assert request.idempotency_key == "segment-111-order-o283h08fh2390f923uofu23"
    assert (translation.ignored, translation.failed) == ("", "")


@pytest.mark.parametrize(
    ("properties", "quantity", "notes"),
    [
        ({"revenue": 12, "value": 99, "total": 100}, 12, ""),
        ({"value": 25, "total": 100}, 25, ""),
        ({"total": "30.5"}, 30.5, ""),
        ({"revenue": None, "value": 25}, 25, ""),
        ({"revenue": "", "value": "", "total": 7}, 7, ""),
        ({"revenue": 0.125}, 0.12, ""),
        (
            {"revenue": "lots", "value": 25, "total": 100},
            25,
            "Not a number, so not counted: properties.revenue ('lots').",
        ),
        (
            {"revenue": "lots", "value": True, "total": "40"},
            40,
            "Not a number, so not counted: properties.revenue ('lots'), properties.value (True).",
        ),
        (
            {"revenue": "lots", "value": [1], "total": {"a": 1}},
            1,
            "Not a number, so not counted: properties.revenue ('lots'), properties.value ([1]), "
            "properties.total ({'a': 1}); the order counts as 1.",
        ),
        ({}, 1, "The order carries no revenue, value or total: it counts as 1."),
    ],
)
def test_spend_quantity_is_the_first_number_of_revenue_value_total_else_one(properties, quantity, notes):
    message = order()
    message["properties"].pop("revenue")
    message["properties"].update(properties)

    [request] = translate(message).requests

    assert request.body["quantity"] == quantity
    assert request.notes == notes


@pytest.mark.parametrize(
    ("properties", "trans_source_id"),
    [
        ({"order_id": "o-1"}, "segment-111-order-o-1"),
        ({"orderId": "o-2"}, "segment-111-order-o-2"),
        ({"order_id": "o-1", "orderId": "o-2"}, "segment-111-order-o-1"),
        ({"order_id": " ", "orderId": "o-2"}, "segment-111-order-o-2"),
        ({"orderId": 50314}, "segment-111-order-50314"),
    ],
)
def test_order_id_is_read_in_either_case_like_segment_sends_it(properties, trans_source_id):
    message = order(revenue=20)
    message["properties"].pop("order_id")
    message["properties"].update(properties)

    [request] = translate(message).requests

    assert (request.body["trans_source_id"], request.body["quantity"]) == (trans_source_id, 20)


def test_an_event_with_order_id_camel_case_is_a_spend_transaction():
    message = copy.deepcopy(CHECKED_IN)
    message["properties"] = {"orderId": "o-9", "value": 15}

    [request] = translate(message).requests

    assert (request.body["quantity"], request.body["trans_source_id"]) == (15, "segment-222-order-o-9")


def test_refund_of_an_order_removes_the_points_with_its_own_trans_source_id():
    [request] = translate(order("Order Refunded")).requests

    assert request.body["quantity"] == -9.99
    assert request.body["trans_source_id"] == "segment-111-refund-ajs-next-1b2c3d4e-5f60-4718-8a9b-0c1d2e3f4a5b"
    assert request.idempotency_key == request.body["trans_source_id"]


def test_two_partial_refunds_of_one_order_are_two_transactions():
    first = order("Order Refunded", revenue=3)
    second = order("Order Refunded", revenue=4)
    second["messageId"] = "ajs-next-second-refund"

    bodies = [translate(message).requests[0].body for message in (first, second)]

    assert [(b["quantity"], b["trans_source_id"]) for b in bodies] == [
        (-3, "segment-111-refund-ajs-next-1b2c3d4e-5f60-4718-8a9b-0c1d2e3f4a5b"),
        (-4, "segment-111-refund-ajs-next-second-refund"),
    ]


def test_a_retry_of_the_same_refund_message_repeats_its_trans_source_id():
    message = order("Order Refunded")
    del message["messageId"]

    ids = {translate(copy.deepcopy(message)).requests[0].body["trans_source_id"] for _ in range(2)}

    [only] = ids
    assert only.startswith("segment-111-refund-sha256:")


@pytest.mark.parametrize(
    ("event", "setting", "quantity"),
    [
        ("Order Refunded", "", -9.99),
        ("order refunded", "", -9.99),
        ("Order Returned", "Order Returned, Chargeback", -9.99),
        ("Chargeback", " Order Returned ,Chargeback ", -9.99),
        ("Order Returned", "", 9.99),
        ("Non-refundable Deposit Paid", "", 9.99),
        ("Refund Policy Viewed", "", 9.99),
        ("Order Refunded Partially", "", 9.99),
        ("Order Cancelled", "", 9.99),
    ],
)
def test_a_refund_is_the_spec_refund_event_or_one_staff_list_not_any_name_with_refund(event, setting, quantity):
    config = config_make(refund_events=setting, event_perk_map={event: 111})

    [request] = translate(order(event), config).requests

    assert request.body["quantity"] == quantity
    assert ("-refund-" in request.body["trans_source_id"]) is (quantity < 0)


def test_a_refund_without_order_id_removes_one_point():
    message = copy.deepcopy(CHECKED_IN)
    message["event"] = "Order Refunded"

    [request] = translate(message, config_make(event_perk_map={"Order Refunded": 222})).requests

    assert request.body["quantity"] == -1


def test_a_refund_with_a_negative_amount_removes_its_absolute_value():
    [request] = translate(order("Order Refunded", revenue=-5)).requests

    assert request.body["quantity"] == -5


def test_event_without_order_id_is_worth_one_and_keyed_by_message_id():
    [request] = translate(CHECKED_IN).requests

    assert request.body["quantity"] == 1
    assert request.body["email"] == "sam@example.com"
    assert request.body["perk"] == 222
    assert request.body["trans_source_id"] == "segment-222-ajs-next-9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"


def test_retry_of_the_same_message_builds_the_same_trans_source_id():
    message = copy.deepcopy(CHECKED_IN)
    del message["messageId"]

    first = translate(message).requests[0].body["trans_source_id"]
    second = translate(copy.deepcopy(message)).requests[0].body["trans_source_id"]

    assert first == second
    assert first.startswith("segment-222-sha256:")


def test_email_is_looked_up_at_the_root_first():
    message = copy.deepcopy(CHECKED_IN)
    message["email"] = "root@example.com"
    message["properties"]["email"] = "props@example.com"

    [request] = translate(message).requests

    assert request.body["email"] == "root@example.com"


def test_event_without_email_fails():
    message = copy.deepcopy(CHECKED_IN)
    del message["context"]

    translation = translate(message)

    assert translation.failed == (
        "No email on the event (looked at the event root, properties and context.traits): Perkville awards "
        "points to an email address."
    )
    assert (translation.requests, translation.ignored) == ([], "")


def test_a_sale_with_a_negative_amount_fails():
    translation = translate(order(revenue=-5))

    assert translation.failed == "properties.revenue (-5) is below 0: only refunds remove points."
    assert translation.requests == []


def test_send_email_is_sent_as_the_setting_says():
    [request] = translate(ORDER_COMPLETED, config_make(send_email=False)).requests

    assert request.body["send_email"] is False


def test_a_trans_source_id_of_100_characters_is_kept_whole():
    # "segment-111-order-" is 18 characters: an order id of 82 makes 100.
    [request] = translate(order(order_id="o" * 82)).requests

    assert request.body["trans_source_id"] == "segment-111-order-" + "o" * 82


def test_a_trans_source_id_over_100_characters_becomes_a_hash_of_it():
    # 18 + 83 = 101: "segment-" and the SHA-256 of the whole id, 8 + 64 = 72 characters.
    [request] = translate(order(order_id="o" * 83)).requests

    key = request.body["trans_source_id"]
    assert key == "segment-" + hashlib.sha256(("segment-111-order-" + "o" * 83).encode()).hexdigest()
    assert len(key) == 72


def test_event_not_in_the_perk_map_is_ignored():
    translation = translate(order("Product Viewed"))

    assert translation.ignored == "Event 'Product Viewed' is not in this connector's event → perk map."
    assert (translation.requests, translation.failed) == ([], "")


def test_page_call_is_ignored():
    translation = translate({"type": "page", "userId": "u1", "name": "Home"})

    assert translation.ignored == "Perkville receives track events only, not page calls."
    assert translation.requests == []


def test_audience_entry_is_recorded_and_ignored_without_an_audience_perk():
    [event] = KIND.parse(Direction.IN, AUDIENCE_ENTERED, CONFIG)

    translation = KIND.build(Direction.IN, event, [], CONFIG)

    assert event.context["audiences"] == {"order_completed_last_30days": True}
    assert translation.ignored == (
        "Audience recorded (order_completed_last_30days=true); no audience perk is mapped for it."
    )
    assert translation.requests == []


def test_mapped_audience_entry_awards_its_perk_once_per_message():
    config = config_make(audience_perk_map={"order_completed_last_30days": "333"})

    [request] = translate(AUDIENCE_ENTERED, config).requests

    assert request.body == {
        "business": 42,
        "location": 7,
        "perk": 333,
        "quantity": 1,
        "email": "alex@example.com",
        "send_email": True,
        "trans_source_id": "segment-333-engage-3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f"
        "-order_completed_last_30days",
    }


def test_mapped_audience_exit_is_recorded_only():
    config = config_make(audience_perk_map={"order_completed_last_30days": "333"})
    message = copy.deepcopy(AUDIENCE_ENTERED)
    message["traits"]["order_completed_last_30days"] = False

    translation = translate(message, config)

    assert translation.ignored == (
        "Audience recorded (order_completed_last_30days=false); only an entry into a mapped audience earns a perk."
    )
    assert translation.requests == []


def test_mapped_audience_entry_without_email_fails():
    config = config_make(audience_perk_map={"order_completed_last_30days": "333"})
    message = copy.deepcopy(AUDIENCE_ENTERED)
    del message["traits"]["email"]

    translation = translate(message, config)

    assert translation.failed.startswith("No email on the event")
    assert translation.requests == []


def test_identify_without_personas_reads_snake_cased_boolean_traits():
    message = {
        "type": "identify",
        "userId": "u1",
        "traits": {"vip_members": True, "Not Snake": True, "age": 3},
    }

    [event] = KIND.parse(Direction.IN, message, CONFIG)

    assert event.context["audiences"] == {"vip_members": True}


def test_prepare_adds_the_bearer_token_and_user_agent(settings):
    settings.VERSION = "7.3.1"
    [request] = translate(ORDER_COMPLETED).requests

    prepared = KIND.prepare(request, CONFIG)

    assert prepared.headers == {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "Authorization": "Bearer sandbox-perkville-token",
        "User-Agent": "EE-Connect/7.3.1",
    }
    assert json.loads(prepared.body) == request.body
    assert "sandbox-perkville-token" not in json.dumps(request.body)


@pytest.mark.parametrize("status", [400, 409])
def test_interpret_an_existing_trans_source_id_is_success(status):
    [request] = translate(ORDER_COMPLETED).requests
    body = json.dumps(
        {"transactions": {"trans_source_id": ["Transaction with this Trans source id already exists."]}}
    ).encode()

    outcome = KIND.interpret(request, status, {}, body)

    assert outcome.kind is OutcomeKind.SUCCEEDED
    assert outcome.reason == (
        "Perkville already has this transaction (segment-111-order-o283h08fh2390f923uofu23): it was posted "
        "before, so nothing is posted twice."
    )


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (400, b'{"transactions": {"quantity": ["A number is required."]}}'),
        (400, b'{"error": "This transaction already exists for another business."}'),
        (422, b'{"trans_source_id": ["already exists"]}'),
    ],
)
def test_interpret_other_refusals_are_not_taken_for_a_repeat(status, body):
    [request] = translate(ORDER_COMPLETED).requests

    assert KIND.interpret(request, status, {}, body).kind is OutcomeKind.TERMINAL


@pytest.mark.parametrize(
    ("status", "body", "reason"),
    [
        (
            401,
            b"",
            "Perkville refused the API token: generate a new one (Settings → Apps → Connect Segment).",
        ),
        (
            403,
            b'{"detail": "Scope missing"}',
            "The Perkville token may not grant points for this business (needs ADMIN_CUSTOMER_GRANT_POINTS). "
            "Perkville said: Scope missing",
        ),
        (
            404,
            b"Not found",
            "Perkville does not know the business, location or perk: check the connector's ids and "
            "perk maps. Perkville said: Not found",
        ),
        (
            400,
            b'{"quantity": ["Invalid"]}',
            'Perkville refused the transaction (HTTP 400). Perkville said: {"quantity":["Invalid"]}',
        ),
    ],
)
def test_interpret_explains_perkville_refusals(status, body, reason):
    [request] = translate(ORDER_COMPLETED).requests

    outcome = KIND.interpret(request, status, {}, body)

    assert outcome.kind is OutcomeKind.TERMINAL
    assert outcome.reason == reason


@pytest.mark.parametrize("status", [201, 408, 429, 500, 503])
def test_interpret_leaves_success_and_retryable_answers_to_the_generic_rules(status):
    [request] = translate(ORDER_COMPLETED).requests

    assert KIND.interpret(request, status, {}, b"") is None
