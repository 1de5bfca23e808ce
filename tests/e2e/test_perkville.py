"""Segment → Perkville end to end: allow-listed Segment track calls and Engage audience entries become
points transactions at the Perkville sandbox, each awarded once, and each refund is its own
transaction."""

import uuid

import pytest

from connectors.sandbox.credentials import PERKVILLE_TOKEN
from events.models import Delivery, Event
from tests.e2e.partners import accepted_event, in_path, partner_connector, sandbox_reset, settled

pytestmark = pytest.mark.e2e

ORDER_PERK, CHECK_IN_PERK, AUDIENCE_PERK = 123456, 123457, 123458
ORDER_ID = "o283h08fh2390f923uofu23"


@pytest.fixture
def connector(live):
    sandbox_reset(live, "perkville")
    return partner_connector(
        kind="segment_perkville",
        settings={
            "api_base_url": live.sandbox("perkville"),
            "business_id": "4211",
            "location_id": "87",
            "send_email": False,
            "event_perk_map": {
                "Order Completed": ORDER_PERK,
                "Order Refunded": ORDER_PERK,
                "Checked In": CHECK_IN_PERK,
                "Non-refundable Deposit Paid": ORDER_PERK,
            },
            "audience_perk_map": {"order_completed_last_30days": AUDIENCE_PERK},
        },
        secrets={"api_token": PERKVILLE_TOKEN},
    )


def order_completed(event: str = "Order Completed", **properties) -> dict:
    """Seed 003's ``analytics.track('Order Completed', {...})`` as Segment forwards it."""
    return {
        "type": "track",
        "event": event,
        "anonymousId": "3a7b9c1d-2e4f-4a6b-8c0d-1e2f3a4b5c6d",
        "messageId": f"ajs-next-{uuid.uuid4()}",
        "timestamp": "2024-03-01T12:00:00.000Z",
        "originalTimestamp": "2024-03-01T12:00:00.000Z",
        "sentAt": "2024-03-01T12:00:00.105Z",
        "receivedAt": "2024-03-01T12:00:00.412Z",
        "properties": {"order_id": ORDER_ID, "revenue": 9.99, "email": "example@example.com", **properties},
        "context": {
            "library": {"name": "analytics.js", "version": "next-1.64.0"},
            "page": {"path": "/checkout/thanks", "url": "https://shop.example.com/checkout/thanks"},
            "userAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7)",
            "locale": "en-GB",
        },
        "integrations": {},
    }


def audience_identify(member: bool) -> dict:
    """Engage's identify for an audience synced as a user property: the snake_cased audience name."""
    return {
        "type": "identify",
        "userId": "user-2003",
        "messageId": f"personas_{uuid.uuid4().hex}",
        "timestamp": "2024-03-01T09:00:00.000Z",
        "traits": {"email": "alex@example.com", "order_completed_last_30days": member},
        "context": {
            "library": {"name": "unknown", "version": "unknown"},
            "personas": {
                "computation_class": "audience",
                "computation_id": "aud_2Wm1bq0t5V3kJ9xYzLpQ",
                "computation_key": "order_completed_last_30days",
                "namespace": "spa_8Hn2cR4tW6yZ",
                "space_id": "spa_8Hn2cR4tW6yZ",
            },
        },
        "integrations": {"All": False, "Perkville": True},
    }


def post(live, connector, message):
    return live.post(in_path(connector), message, token=connector.tokens_plain["in"])


def transaction(perk: int, quantity, trans_source_id: str, email: str = "example@example.com") -> dict:
    return {
        "business": 4211,
        "location": 87,
        "perk": perk,
        "quantity": quantity,
        "email": email,
        "send_email": False,
        "trans_source_id": trans_source_id,
    }


def test_the_seed_order_completed_posts_its_revenue_as_points_for_the_configured_perk(live, connector):
    event = accepted_event(post(live, connector, order_completed()))

    [delivery] = settled(str(event.public_id))
    assert event.identity == "example@example.com"
    assert delivery.status == Delivery.Status.SUCCEEDED
    assert delivery.idempotency_key == f"segment-{ORDER_PERK}-order-{ORDER_ID}"
    [received] = live.received("perkville")
    assert received["path"] == "/sandbox/perkville/v2/transactions/"
    assert received["headers"]["Authorization"] == f"Bearer {PERKVILLE_TOKEN}"
    assert received["body"] == transaction(ORDER_PERK, 9.99, f"segment-{ORDER_PERK}-order-{ORDER_ID}")
    assert received["status"] == 201


def test_a_sale_then_two_partial_refunds_are_three_transactions(live, connector):
    settled(str(accepted_event(post(live, connector, order_completed())).public_id))
    refunds = [order_completed("Order Refunded", revenue=amount) for amount in (3, 4.5)]

    deliveries = [settled(str(accepted_event(post(live, connector, refund)).public_id)) for refund in refunds]

    assert [d.status for [d] in deliveries] == [Delivery.Status.SUCCEEDED] * 2
    _, first, second = live.received("perkville")
    assert first["body"] == transaction(ORDER_PERK, -3, f"segment-{ORDER_PERK}-refund-{refunds[0]['messageId']}")
    assert second["body"] == transaction(ORDER_PERK, -4.5, f"segment-{ORDER_PERK}-refund-{refunds[1]['messageId']}")
    assert (first["status"], second["status"]) == (201, 201)


def test_a_name_merely_containing_refund_is_a_sale(live, connector):
    message = order_completed("Non-refundable Deposit Paid")
    message["properties"] = {"orderId": "d-1", "value": 20, "email": "example@example.com"}

    [delivery] = settled(str(accepted_event(post(live, connector, message)).public_id))

    assert delivery.status == Delivery.Status.SUCCEEDED
    [received] = live.received("perkville")
    assert received["body"] == transaction(ORDER_PERK, 20, f"segment-{ORDER_PERK}-order-d-1")


def test_a_non_numeric_revenue_falls_back_to_value_and_says_so(live, connector):
    [delivery] = settled(str(accepted_event(post(live, connector, order_completed(revenue="n/a", value=12))).public_id))

    assert delivery.status == Delivery.Status.SUCCEEDED
    assert delivery.notes == "Not a number, so not counted: properties.revenue ('n/a')."
    assert live.received("perkville")[0]["body"]["quantity"] == 12


def test_an_event_without_an_email_fails_with_the_reason(live, connector):
    message = order_completed()
    del message["properties"]["email"]

    event = accepted_event(post(live, connector, message))

    assert event.status == Event.Status.FAILED
    assert event.error == (
        "No email on the event (looked at the event root, properties and context.traits): Perkville awards "
        "points to an email address."
    )
    assert not Delivery.objects.filter(event=event).exists()
    assert live.received("perkville") == []


def test_an_event_not_allow_listed_is_ignored(live, connector):
    event = accepted_event(post(live, connector, order_completed("Product Viewed")))

    assert event.status == Event.Status.IGNORED
    assert event.error == "Event 'Product Viewed' is not in this connector's event → perk map."
    assert not Delivery.objects.filter(event=event).exists()
    assert live.received("perkville") == []


def test_a_retry_after_a_500_does_not_award_twice(live, connector):
    live.behave("perkville", status=500, fail_first=1)

    [delivery] = settled(str(accepted_event(post(live, connector, order_completed())).public_id))
    # Segment's source re-sends the same order under a new messageId: the order is keyed, not the message.
    [resent] = settled(str(accepted_event(post(live, connector, order_completed())).public_id))

    assert delivery.status == resent.status == Delivery.Status.SUCCEEDED
    assert [a.response_status for a in delivery.attempt_log.order_by("number")] == [500, 201]
    assert resent.last_error == ""
    received = live.received("perkville")
    assert [r["status"] for r in received] == [500, 201, 400]
    assert {r["body"]["trans_source_id"] for r in received} == {f"segment-{ORDER_PERK}-order-{ORDER_ID}"}
    assert received[2]["response"] == {
        "transactions": {"trans_source_id": ["Transaction with this Trans source id already exists."]}
    }


def test_a_check_in_without_an_order_earns_one_point(live, connector):
    message = order_completed("Checked In")
    message["properties"] = {"class": "Morning Yoga"}
    message["context"]["traits"] = {"email": "sam@example.com"}

    [delivery] = settled(str(accepted_event(post(live, connector, message)).public_id))

    assert delivery.status == Delivery.Status.SUCCEEDED
    [received] = live.received("perkville")
    assert received["body"] == transaction(
        CHECK_IN_PERK, 1, f"segment-{CHECK_IN_PERK}-{message['messageId']}", email="sam@example.com"
    )


def test_an_engage_audience_entry_earns_the_audience_perk_and_an_exit_is_recorded(live, connector):
    entered = audience_identify(member=True)

    [delivery] = settled(str(accepted_event(post(live, connector, entered)).public_id))
    exited = accepted_event(post(live, connector, audience_identify(member=False)))

    assert delivery.status == Delivery.Status.SUCCEEDED
    [received] = live.received("perkville")
    assert received["body"] == transaction(
        AUDIENCE_PERK,
        1,
        f"segment-{AUDIENCE_PERK}-{entered['messageId']}-order_completed_last_30days",
        email="alex@example.com",
    )
    assert exited.status == Event.Status.IGNORED
    assert exited.error == (
        "Audience recorded (order_completed_last_30days=false); only an entry into a mapped audience earns a perk."
    )
    assert not Delivery.objects.filter(event=exited).exists()


def test_a_batch_makes_one_event_per_message(live, connector):
    batch = {"batch": [order_completed(), order_completed("Product Viewed"), audience_identify(member=True)]}

    response = post(live, connector, batch)

    assert response.status_code == 200, response.text
    events = [Event.objects.get(public_id=event_id) for event_id in response.json()["event_ids"]]
    assert [(e.event_type, e.status) for e in events] == [
        ("track:Order Completed", Event.Status.TRANSLATED),
        ("track:Product Viewed", Event.Status.IGNORED),
        ("identify", Event.Status.TRANSLATED),
    ]
    for event in (events[0], events[2]):
        [delivery] = settled(str(event.public_id))
        assert delivery.status == Delivery.Status.SUCCEEDED
    assert sorted(r["body"]["perk"] for r in live.received("perkville")) == [ORDER_PERK, AUDIENCE_PERK]


def test_a_batch_shares_its_top_level_context_with_every_message(live, connector):
    first, second = order_completed(), order_completed("Checked In")
    for message in (first, second):
        del message["properties"]["email"]
        message["context"] = {"page": {"path": "/checkout/thanks"}}
    second["properties"] = {"class": "Morning Yoga"}
    batch = {"batch": [first, second], "context": {"traits": {"email": "pat@example.com"}}, "integrations": {}}

    response = post(live, connector, batch)

    assert response.status_code == 200, response.text
    events = [Event.objects.get(public_id=event_id) for event_id in response.json()["event_ids"]]
    assert [(e.status, e.identity) for e in events] == [(Event.Status.TRANSLATED, "pat@example.com")] * 2
    assert events[0].payload["context"] == {
        "page": {"path": "/checkout/thanks"},
        "traits": {"email": "pat@example.com"},
    }
    for event in events:
        [delivery] = settled(str(event.public_id))
        assert delivery.status == Delivery.Status.SUCCEEDED
    assert [r["body"]["email"] for r in live.received("perkville")] == ["pat@example.com"] * 2
