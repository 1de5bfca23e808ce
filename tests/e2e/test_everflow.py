"""Segment → Everflow end to end: mapped Segment track calls become server-to-server conversion
postbacks at the Everflow sandbox, with the parameters of seed 002's mapping tables."""

import uuid

import pytest

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
        settings={"tracking_domain": live.sandbox("everflow"), "network_id": network_id, "event_map": EVENT_MAP},
        secrets={"verification_token": "vt-e2e-5150"},
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
            "orderId": 50314,
            "total": 27.5,
            "coupon": "SPRING10",
            "adv1": "newsletter",
            "adv2": True,
            "adv3": 2,
            "affiliateId": 7,
            "products": [{"sku": "SKU-45790-32", "name": "Monopoly: 3rd Edition", "quantity": 1}],
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


def test_a_mapped_web_purchase_posts_the_conversion_with_the_all_sources_table(live, connector):
    response = post(live, connector, web_purchase())

    [delivery] = settled(str(accepted_event(response).public_id))
    assert delivery.status == Delivery.Status.SUCCEEDED
    assert delivery.idempotency_key == f"everflow:{TRANSACTION_ID}:24:order:50314"
    assert "verification_token" not in delivery.url
    [received] = live.received("everflow")
    assert received["method"] == "GET"
    assert received["query"] == {
        "nid": "1",
        "transaction_id": TRANSACTION_ID,
        "event_id": "24",
        "conversion_user_ip": "203.0.113.7",
        "http_user_agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7)",
        "email": "pat@example.com",
        "adv1": "newsletter",
        "adv2": "true",
        "adv3": "2",
        "coupon_code": "SPRING10",
        "order_id": "50314",
        "affiliate_id": "7",
        "amount": "27.5",
        "order_line_items[0].quantity": "1",
        "order_line_items[0].name": "Monopoly: 3rd Edition",
        "order_line_items[0].sku": "SKU-45790-32",
        "verification_token": "vt-e2e-5150",
    }
    assert received["status"] == 200
    assert received["response"]["result"] == "success"


def test_a_postback_with_line_items_is_sent_and_logged_in_full(live, connector):
    products = [
        {"sku": "SKU-45790-32", "name": "Monopoly: 3rd Edition", "quantity": 1},
        {"sku": "SKU-46493-32", "name": "Uno Card Game", "quantity": 2},
    ]

    [delivery] = settled(str(accepted_event(post(live, connector, web_purchase(products=products))).public_id))

    assert delivery.status == Delivery.Status.SUCCEEDED
    assert delivery.notes == ""
    assert "order_line_items%5B1%5D.sku=SKU-46493-32" in delivery.attempt_log.get().url
    [received] = live.received("everflow")
    assert received["query"]["order_line_items[1].name"] == "Uno Card Game"
    assert (received["query"]["order_id"], received["query"]["amount"]) == ("50314", "27.5")


def test_the_base_conversion_is_sent_without_an_event_id(live, connector):
    response = post(live, connector, web_purchase("Order Completed"))

    [delivery] = settled(str(accepted_event(response).public_id))
    assert delivery.status == Delivery.Status.SUCCEEDED
    [received] = live.received("everflow")
    assert "event_id" not in received["query"]
    assert (received["query"]["transaction_id"], received["query"]["amount"]) == (TRANSACTION_ID, "27.5")


def test_a_mobile_purchase_adds_the_mobile_sources_table(live, connector):
    response = post(live, connector, ios_purchase())

    [delivery] = settled(str(accepted_event(response).public_id))
    assert delivery.status == Delivery.Status.SUCCEEDED
    [received] = live.received("everflow")
    assert received["query"] == {
        "nid": "1",
        "transaction_id": "5f1e2d3c4b5a69788796a5b4c3d2e1f0",
        "event_id": "24",
        "conversion_user_ip": "198.51.100.23",
        "amount": "12.99",
        "app_id": "com.example.shop",
        "limit_ad_tracking": "false",
        "app_name": "Example Shop",
        "app_version": "4.2.1",
        "device_make": "Apple",
        "device_model": "iPhone15,2",
        "carrier": "Example Mobile",
        "os": "iOS",
        "os_version": "17.3",
        "connection_type": "wifi",
        "latitude": "51.5074",
        "longitude": "-0.1278",
        "idfa": "6D92078A-8246-4BA4-AE5B-76104861E7DC",
        "verification_token": "vt-e2e-5150",
    }


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


def test_an_order_id_that_is_not_a_number_fails_naming_the_field(live, connector):
    event = accepted_event(post(live, connector, web_purchase(orderId="o283h08fh2390f923uofu23")))

    assert event.status == Event.Status.FAILED
    assert event.error == "properties.orderId ('o283h08fh2390f923uofu23') must be a number for Everflow's order_id."
    assert live.received("everflow") == []


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
