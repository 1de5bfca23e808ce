"""Support searches by what they have: any identity of the customer, the wallet, an AIR order or
transaction reference, the messageId Segment shows."""

import pytest
from django.urls import reverse

from tests.events.test_console_factories import DeliveryFactory, EventFactory

pytestmark = pytest.mark.django_db

DELIVERIES = reverse("admin:events_delivery_changelist")
EVENTS = reverse("admin:events_event_changelist")

# What the AIR parser puts in a purchase's context (connectors/kinds/air_segment/parse_out.py).
PURCHASE_CONTEXT = {
    "identity_type": "CUSTOMER_ID",
    "identities": {"CUSTOMER_ID": "CUST-1001", "CARD": "6330000000001001", "MOBILE": "+447700900123"},
    "wallet_id": "900000001",
    "wallet_transaction_reference": "FULFIL-2002-C",
    "transaction": {"reference": "FULFIL-2002-C", "original_reference": "ORDER-2002"},
}


def _listed(client, url, term) -> list:
    response = client.get(url, {"q": term})
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


@pytest.fixture
def purchase():
    """An AIR purchase sent to Segment as a batch of two messages, beside another customer's."""
    event = EventFactory(identity="CUST-1001", context=PURCHASE_CONTEXT)
    delivery = DeliveryFactory(
        event=event,
        idempotency_key="air:5a0e-11",
        body={"batch": [{"messageId": "ees-7f3a-track"}, {"messageId": "ees-7f3a-identify"}]},
    )
    other = EventFactory(
        identity="CUST-2002",
        context={"identities": {"CARD": "6330000000002002"}, "wallet_id": "900000002"},
    )
    DeliveryFactory(event=other, body={"batch": [{"messageId": "ees-other"}]})
    return event, delivery


@pytest.mark.parametrize(
    "term",
    [
        "6330000000001001",  # the card number, not the connector's identity type
        "+447700900123",  # the mobile
        "900000001",  # the wallet id
        "ORDER-2002",  # the order the fulfilment belongs to (original_reference)
        "FULFIL-2002-C",  # the transaction's own reference
        "ees-7f3a-identify",  # the second message of the batch, as Segment's debugger shows it
        " CUST-1001 ",  # the connector's own identity, pasted with spaces
    ],
)
def test_the_event_list_finds_a_purchase_by_what_support_has(admin_client, purchase, term):
    event, _ = purchase

    assert _listed(admin_client, EVENTS, term) == [event]


@pytest.mark.parametrize("term", ["6330000000001001", "ORDER-2002", "ees-7f3a-track", "air:5a0e-11"])
def test_the_delivery_list_finds_the_purchase_s_delivery(admin_client, purchase, term):
    _, delivery = purchase

    assert _listed(admin_client, DELIVERIES, term) == [delivery]


def test_an_inbound_segment_message_is_found_by_its_message_id(admin_client):
    track = EventFactory(direction="in", event_type="Order Completed", source_event_id="ajs-next-1f2e")
    EventFactory(direction="in", event_type="Order Completed", source_event_id="ajs-next-9999")

    assert _listed(admin_client, EVENTS, "ajs-next-1f2e") == [track]


def test_a_value_nobody_has_finds_nothing(admin_client, purchase):
    assert _listed(admin_client, EVENTS, "6330000000009999") == []
    assert _listed(admin_client, DELIVERIES, "ees-7f3a") == []  # exact, not a prefix
