"""Segment → Everflow end to end: mapped Segment track calls become server-to-server conversion
postbacks at the Everflow sandbox, with seed 002's values under the postback's parameter names, and
refunds reject the conversion through the sandbox's Network API."""

import uuid

import pytest

from connectors.sandbox.credentials import EVERFLOW_API_KEY as API_KEY
from connectors.sandbox.credentials import EVERFLOW_NETWORK_ID
from events.models import Delivery, Event
from tests.e2e.partners import accepted_event, in_path, partner_connector, sandbox_reset, settled

pytestmark = pytest.mark.e2e

TRANSACTION_ID = "9d4c2b0f1e7a4c3b8a6d5e4f3a2b1c0d"
# Seed 002: 0 is always the base conversion; the brand event "Purchase" has the id 24.
EVENT_MAP = {"Order Completed": 0, "Purchase": 24}


def everflow_connector(live, *, network_id: str = EVERFLOW_NETWORK_ID):
    sandbox_reset(live, "everflow")
    return partner_connector(
        kind="segment_everflow",
        settings={
            "tracking_domain": live.sandbox("everflow"),
            "network_id": network_id,
            "event_map": EVENT_MAP,
            "api_base_url": f"{live.sandbox('everflow')}/api",
        },
        secrets={"verification_token": "vt-e2e-5150", "api_key": API_KEY},
    )


@pytest.fixture
def connector(live):
    return everflow_connector(live)


def web_purchase(event: str = "Purchase", **properties) -> dict:
    """A track from analytics.js on a page where EF.click() ran: the click's id is the referrer."""
    return {
        "type": "track",
        "event": event,
        "userId": "user-1001",
        "anonymousId": "0f9e8d7c-6b5a-4938-8271-6a5b4c3d2e1f",
        "messageId": f"ajs-next-{uuid.uuid4()}",
        "timestamp": "2024-03-01T12:00:00.000Z",
        "properties": {
            "orderId": "o283h08fh2390f923uofu23",
            "total": 27.5,
            "coupon": "SPRING10",
            "adv1": "newsletter",
            "adv2": True,
            "adv3": 2,
            "affiliateId": 7,
            "products": [{"sku": "SKU-45790-32", "name": "Monopoly: 3rd Edition", "quantity": 1, "price": 27.5}],
            **properties,
        },
        "context": {
            "ip": "203.0.113.7",
            "userAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7)",
            "traits": {"email": "pat@example.com"},
            "referrer": {"type": "everflow", "id": TRANSACTION_ID},
            "library": {"name": "analytics.js", "version": "next-1.64.0"},
        },
        "integrations": {},
    }


def ios_purchase(**context) -> dict:
    """A track from analytics-ios: the mobile table applies."""
    return {
        "type": "track",
        "event": "Purchase",
        "userId": "user-1002",
        "messageId": f"ios-{uuid.uuid4()}",
        "timestamp": "2024-03-01T12:05:00.000Z",
        "properties": {"transaction_id": "5f1e2d3c4b5a69788796a5b4c3d2e1f0", "total": "12.99"},
        "context": {
            "ip": "198.51.100.23",
            "app": {"name": "Example Shop", "version": "4.2.1", "namespace": "com.example.shop", "build": "412"},
            "device": {
                "type": "ios",
                "manufacturer": "Apple",
                "model": "iPhone15,2",
                "adTrackingEnabled": True,
                "advertisingId": "6D92078A-8246-4BA4-AE5B-76104861E7DC",
            },
            "network": {"carrier": "Example Mobile", "wifi": True, "cellular": False},
            "os": {"name": "iOS", "version": "17.3"},
            "location": {"latitude": 51.5074, "longitude": -0.1278},
            "library": {"name": "analytics-ios", "version": "4.1.8"},
            **context,
        },
    }


def post(live, connector, message):
    return live.post(in_path(connector), message, token=connector.tokens_plain["in"])


def test_a_mapped_web_purchase_posts_the_conversion_under_the_postbacks_parameter_names(live, connector):
    response = post(live, connector, web_purchase())

    [delivery] = settled(str(accepted_event(response).public_id))
    assert delivery.status == Delivery.Status.SUCCEEDED
    assert delivery.idempotency_key == f"everflow:{TRANSACTION_ID}:24:order:o283h08fh2390f923uofu23"
    assert delivery.notes == (
        "Not sent (an Everflow postback has no parameter for them): properties.products[0].name."
    )
    assert "verification_token" not in delivery.url
    [received] = live.received("everflow")
    assert (received["method"], received["path"].split("?")[0], received["body"]) == ("GET", "/sandbox/everflow/", None)
    assert received["query"] == {
        "nid": "1",
        "transaction_id": TRANSACTION_ID,
        "adv_event_id": "24",
        "user_ip": "203.0.113.7",
        "user_agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7)",
        "email": "pat@example.com",
        "adv1": "newsletter",
        "adv2": "true",
        "adv3": "2",
        "coupon_code": "SPRING10",
        "order_id": "o283h08fh2390f923uofu23",
        "affid": "7",
        "amount": "27.5",
        "order": '{"oid":"o283h08fh2390f923uofu23","amt":27.5,"cc":"SPRING10",'
        '"items":[{"ps":"SKU-45790-32","qty":1,"p":27.5}]}',
        "verification_token": "vt-e2e-5150",
    }
    assert received["status"] == 200
    assert received["response"]["result"] == "success"


def test_the_base_conversion_is_sent_without_an_event_parameter(live, connector):
    response = post(live, connector, web_purchase("Order Completed"))

    [delivery] = settled(str(accepted_event(response).public_id))
    assert delivery.status == Delivery.Status.SUCCEEDED
    [received] = live.received("everflow")
    assert "event_id" not in received["query"]
    assert "adv_event_id" not in received["query"]
    assert (received["query"]["transaction_id"], received["query"]["amount"]) == (TRANSACTION_ID, "27.5")


def test_the_click_id_is_read_whatever_the_case_of_the_referrer_type(live, connector):
    message = web_purchase()
    message["context"]["referrer"]["type"] = "Everflow"

    [delivery] = settled(str(accepted_event(post(live, connector, message)).public_id))

    assert delivery.status == Delivery.Status.SUCCEEDED
    assert live.received("everflow")[0]["query"]["transaction_id"] == TRANSACTION_ID


def test_a_mobile_purchase_sends_the_app_and_the_advertising_id(live, connector):
    response = post(live, connector, ios_purchase())

    [delivery] = settled(str(accepted_event(response).public_id))
    assert delivery.status == Delivery.Status.SUCCEEDED
    assert delivery.notes.startswith("Not sent (an Everflow postback has no parameter for them): ")
    [received] = live.received("everflow")
    assert received["query"] == {
        "nid": "1",
        "transaction_id": "5f1e2d3c4b5a69788796a5b4c3d2e1f0",
        "adv_event_id": "24",
        "user_ip": "198.51.100.23",
        "amount": "12.99",
        "app_id": "com.example.shop",
        "idfa": "6D92078A-8246-4BA4-AE5B-76104861E7DC",
        "verification_token": "vt-e2e-5150",
    }


def test_a_sale_then_two_partial_refunds_reject_the_conversion_and_post_no_sale(live, connector):
    sale = settled(str(accepted_event(post(live, connector, web_purchase("Order Completed"))).public_id))
    refunds = [
        settled(str(accepted_event(post(live, connector, web_purchase("Order Refunded", total=5))).public_id))
        for _ in range(2)
    ]

    assert [d.status for d in sale + refunds[0] + refunds[1]] == [Delivery.Status.SUCCEEDED] * 3
    received = live.received("everflow")
    assert [(r["method"], r["path"].split("?")[0]) for r in received] == [
        ("GET", "/sandbox/everflow/"),
        ("PATCH", f"/sandbox/everflow/api/v1/networks/reporting/conversions/{TRANSACTION_ID}"),
        ("PATCH", f"/sandbox/everflow/api/v1/networks/reporting/conversions/{TRANSACTION_ID}"),
    ]
    for refund in received[1:]:
        assert refund["headers"]["X-Eflow-Api-Key"] == API_KEY
        assert refund["body"] == {"conversion_status": "rejected"}
        assert (refund["status"], refund["response"]) == (200, {"result": True})


def test_a_refund_of_a_click_without_a_conversion_fails_in_words(live, connector):
    [delivery] = settled(str(accepted_event(post(live, connector, web_purchase("Order Cancelled"))).public_id))

    assert delivery.status == Delivery.Status.FAILED
    assert delivery.last_error == (
        "Everflow has no conversion for this transaction id, so there is nothing to reject. Everflow said: "
        "No conversion found for this transaction id"
    )


def test_an_unmapped_event_is_stored_as_ignored(live, connector):
    response = post(live, connector, web_purchase("Product Viewed"))

    event = accepted_event(response)
    assert event.status == Event.Status.IGNORED
    assert event.error == "Event 'Product Viewed' is not in this connector's event mapping."
    assert not Delivery.objects.filter(event=event).exists()
    assert live.received("everflow") == []


def test_a_purchase_without_a_transaction_id_fails_naming_the_field(live, connector):
    message = web_purchase()
    del message["context"]["referrer"]

    event = accepted_event(post(live, connector, message))

    assert event.status == Event.Status.FAILED
    assert event.error == (
        'transaction_id is required by Everflow: set context.referrer to {"type": "everflow", "id": '
        "<EF.getAdvertiserTransactionId()>}, or send properties.transaction_id."
    )
    assert not Delivery.objects.filter(event=event).exists()
    assert live.received("everflow") == []


def test_a_mobile_purchase_without_the_app_namespace_fails_naming_the_field(live, connector):
    message = ios_purchase(app={"name": "Example Shop", "version": "4.2.1"})

    event = accepted_event(post(live, connector, message))

    assert event.status == Event.Status.FAILED
    assert event.error == "context.app.namespace is required by Everflow (app_id) for mobile sources."
    assert not Delivery.objects.filter(event=event).exists()
    assert live.received("everflow") == []


def test_an_order_id_that_is_text_is_sent_as_segment_sent_it(live, connector):
    [delivery] = settled(str(accepted_event(post(live, connector, web_purchase(orderId="A-1/β"))).public_id))

    assert delivery.status == Delivery.Status.SUCCEEDED
    assert live.received("everflow")[0]["query"]["order_id"] == "A-1/β"


def test_a_duplicate_conversion_is_shown_in_words(live, connector):
    first = web_purchase(orderId=None)
    second = web_purchase(orderId=None)

    [delivered] = settled(str(accepted_event(post(live, connector, first)).public_id))
    [duplicate] = settled(str(accepted_event(post(live, connector, second)).public_id))

    assert delivered.status == Delivery.Status.SUCCEEDED
    assert duplicate.status == Delivery.Status.FAILED
    assert duplicate.attempts == 1
    assert duplicate.last_status_code == 200
    assert duplicate.last_error == (
        'Everflow refused the conversion, error 8: duplicate: this click already has this conversion (turn on '
        '"Allow Duplicate Conversions" on the offer if repeats are expected) (Duplicate conversion).'
    )
    assert [r["response"].get("code") for r in live.received("everflow")] == [None, 8]


def test_a_wrong_network_id_fails_in_words_after_one_attempt(live):
    connector = everflow_connector(live, network_id="99")

    [delivery] = settled(str(accepted_event(post(live, connector, web_purchase())).public_id))

    assert delivery.status == Delivery.Status.FAILED
    assert delivery.attempts == 1
    assert delivery.last_error == (
        "Everflow refused the conversion, error 11: the network id (nid) is not valid: check the connector's "
        "network id (Invalid network ID)."
    )


def test_a_batch_makes_one_event_per_message(live, connector):
    identify = {"type": "identify", "userId": "user-1001", "messageId": f"ajs-next-{uuid.uuid4()}"}
    batch = {"batch": [web_purchase(), web_purchase("Product Viewed"), identify]}

    response = post(live, connector, batch)

    assert response.status_code == 200, response.text
    events = [Event.objects.get(public_id=event_id) for event_id in response.json()["event_ids"]]
    assert [(e.event_type, e.status) for e in events] == [
        ("track:Purchase", Event.Status.TRANSLATED),
        ("track:Product Viewed", Event.Status.IGNORED),
        ("identify", Event.Status.IGNORED),
    ]
    [delivery] = settled(str(events[0].public_id))
    assert delivery.status == Delivery.Status.SUCCEEDED
    assert len(live.received("everflow")) == 1
