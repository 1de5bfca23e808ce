"""Voucherify ⇄ Segment end to end: Segment Spec messages reach the Voucherify sandbox's Segment
integration endpoints typed by the metadata schema read from it, and signed Voucherify webhooks
(envelope or raw payload) reach the Segment sandbox, through a real server, worker and beat."""

import hashlib
import hmac
import json
import uuid

import pytest
import requests
from django.conf import settings as django_settings

from connectors.sandbox.credentials import SEGMENT_WRITE_KEY, VOUCHERIFY_APP_ID, VOUCHERIFY_APP_TOKEN
from connectors.services import voucherify_metadata_schema_refresh
from events.models import Delivery, Event
from tests.e2e.partners import accepted_event, in_path, out_path, partner_connector, sandbox_reset, settled

pytestmark = pytest.mark.e2e

WEBHOOK_SECRET = "e2e-voucherify-webhook-secret"
INTEGRATION = "/sandbox/voucherify/segmentio"


@pytest.fixture
def connector(live):
    """A connector whose customer metadata schema was read from the sandbox over HTTP, as the admin's
    button reads it (the sandbox defines tier string, vip boolean, visits number, …)."""
    sandbox_reset(live, "voucherify")
    connector = partner_connector(
        kind="voucherify_segment",
        settings={
            "voucherify_api_url": live.sandbox("voucherify"),
            "voucherify_app_id": VOUCHERIFY_APP_ID,
            "segment_region": "US",
            "segment_base_url": live.sandbox("segment"),
        },
        secrets={
            "voucherify_app_token": VOUCHERIFY_APP_TOKEN,
            "voucherify_webhook_secret": WEBHOOK_SECRET,
            "segment_write_key": SEGMENT_WRITE_KEY,
        },
    )
    voucherify_metadata_schema_refresh(connector=connector)
    connector.refresh_from_db()
    [schema_read] = live.received("voucherify")
    assert (schema_read["method"], schema_read["path"]) == ("GET", "/sandbox/voucherify/v1/metadata-schemas/customer")
    sandbox_reset(live, "voucherify")
    return connector


def header(received: dict, name: str) -> str:
    return next(value for key, value in received["headers"].items() if key.lower() == name)


def identify(**changes) -> dict:
    """An identify as Segment's analytics.js sends it to a destination."""
    return {
        "type": "identify",
        "userId": "user-3001",
        "anonymousId": "5c1e3a2b-7d8e-4f90-a1b2-c3d4e5f6a7b8",
        "messageId": f"ajs-next-{uuid.uuid4()}",
        "timestamp": "2024-03-01T10:00:00.000Z",
        "sentAt": "2024-03-01T10:00:00.120Z",
        "receivedAt": "2024-03-01T10:00:00.350Z",
        "traits": {
            "firstName": "Alex",
            "lastName": "Sample",
            "email": "alex.sample@example.com",
            "metadata": {"tier": "gold", "vip": True, "favourite_colour": "green", "visits": "12"},
        },
        "context": {"library": {"name": "analytics.js", "version": "next-1.64.0"}, "locale": "en-GB"},
        "integrations": {},
        **changes,
    }


def track(**changes) -> dict:
    return {
        "type": "track",
        "event": "Review Written",
        "userId": "user-3001",
        "anonymousId": "5c1e3a2b-7d8e-4f90-a1b2-c3d4e5f6a7b8",
        "messageId": f"ajs-next-{uuid.uuid4()}",
        "timestamp": "2024-03-01T10:05:00.000Z",
        "properties": {"metadata": {"rating": 5, "product": "Uno Card Game"}, "referral": {"code": "REF-ALEX"}},
        "context": {"traits": {"email": "alex.sample@example.com"}, "library": {"name": "analytics.js"}},
        "integrations": {},
        **changes,
    }


def segment_entered(envelope_id: str | None = None) -> dict:
    """A "Customer entered segment" distribution webhook in envelope mode; ``data`` is seed 004's."""
    return {
        "id": envelope_id or f"whs_{uuid.uuid4().hex[:20]}",
        "project_id": "proj_f1r5Tpr0J3Ct",
        "created_at": "2024-02-29T14:05:00.000Z",
        "type": "New customers",
        "data": {
            "customer": {
                "id": "cust_5P5B8oy1pxM3sTOZ8qDpmkpG",
                "source_id": "a-tst",
                "name": "Alex Test",
                "address": {
                    "city": None, "state": None, "line_1": None, "line_2": None, "country": None, "postal_code": None,
                },
                "summary": {
                    "redemptions": {
                        "total_redeemed": 0,
                        "total_failed": 0,
                        "total_succeeded": 0,
                        "total_rolled_back": 0,
                        "total_rollback_failed": 0,
                        "total_rollback_succeeded": 0,
                        "gift": {"redeemed_amount": 0, "amount_to_go": 0},
                        "loyalty_card": {"redeemed_points": 0, "points_to_go": 0},
                    },
                    "orders": {"total_amount": 0, "total_count": 0, "average_amount": 0, "last_order_amount": 0},
                },
                "loyalty": {"points": 0, "referred_customers": 0, "campaigns": {}},
                "referrals": {"total": 0, "campaigns": []},
                "metadata": {},
                "system_metadata": {},
                "created_at": "2024-02-29T14:04:46.506Z",
                "object": "customer",
            },
            "segment": {"id": "seg_n3vVcU5t0m3rs4rEPr3C1oU5", "name": "New Customers", "object": "segment"},
        },
        "source": {"id": "distr_9kQe2Xb1", "object": "distribution", "target_url": "https://connect.example.com"},
        "event": {
            "id": f"evcus_{uuid.uuid4().hex[:16]}",
            "type": "customer.segment.entered",
            "created_at": "2024-02-29T14:04:59.000Z",
            "entity_id": "cust_5P5B8oy1pxM3sTOZ8qDpmkpG",
            "group_id": "v-0e5c6b4a3f2d",
            "event_source": {"channel": "INTERNAL"},
        },
    }


def signature(body: bytes, secret: str = WEBHOOK_SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post_webhook(live, connector, body: bytes, signed: str | None = None):
    """Post the exact bytes as Voucherify does: no X-Auth-Token, the signature header instead."""
    return requests.post(
        f"{live.base_url}{out_path(connector)}",
        data=body,
        headers={
            "Content-Type": "application/json",
            "x-voucherify-signature": signature(body) if signed is None else signed,
        },
        timeout=10,
    )


def compact(value) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def test_identify_upserts_the_customer_with_only_the_schema_metadata(live, connector):
    message = identify()  # visits "12" where the schema read from Voucherify says number

    response = live.post(in_path(connector), message, token=connector.tokens_plain["in"])

    event = accepted_event(response)
    assert event.event_type == "identify"
    assert event.identity == "user-3001"
    [delivery] = settled(str(event.public_id))
    assert delivery.status == Delivery.Status.SUCCEEDED
    assert delivery.last_status_code == 200
    assert delivery.notes == (
        "Not sent: metadata.favourite_colour (not in the metadata schema); "
        "metadata.visits (expected number, got string)."
    )
    [received] = live.received("voucherify")
    assert (received["method"], received["path"], received["query"]) == (
        "POST",
        f"{INTEGRATION}/customer-processing",
        {},
    )
    # base64 of the application id alone, and of the secret key (Segment's Voucherify destination).
    assert header(received, "authorization") == "Basic c2FuZGJveC1hcHAtaWQ="
    assert header(received, "secret-key") == "c2FuZGJveC1hcHAtdG9rZW4="
    assert header(received, "content-type") == "application/json"
    assert received["body"] == {
        "source_id": "user-3001",
        "first_name": "Alex",
        "last_name": "Sample",
        "email": "alex.sample@example.com",
        "metadata": {"tier": "gold", "vip": True},
        "type": "identify",
    }
    assert received["status"] == 200
    assert received["response"]["name"] == "Alex Sample"  # Voucherify merges first and last name
    assert received["response"]["metadata"] == {"tier": "gold", "vip": True}
    assert received["response"]["source_id"] == "user-3001"


def test_a_trait_set_to_null_clears_the_value_in_voucherify(live, connector):
    first = live.post(in_path(connector), identify(), token=connector.tokens_plain["in"])
    settled(str(accepted_event(first).public_id))
    cleared = identify(traits={"email": None, "metadata": {"tier": None}})

    response = live.post(in_path(connector), cleared, token=connector.tokens_plain["in"])

    [delivery] = settled(str(accepted_event(response).public_id))
    assert delivery.status == Delivery.Status.SUCCEEDED
    second = live.received("voucherify")[-1]
    assert second["body"] == {"source_id": "user-3001", "email": None, "metadata": {"tier": None}, "type": "identify"}
    assert (second["response"]["email"], second["response"]["metadata"]) == (None, {"vip": True})


def test_track_becomes_a_custom_event_for_the_customer(live, connector):
    response = live.post(in_path(connector), track(), token=connector.tokens_plain["in"])

    [delivery] = settled(str(accepted_event(response).public_id))
    assert delivery.status == Delivery.Status.SUCCEEDED
    [received] = live.received("voucherify")
    assert (received["method"], received["path"]) == ("POST", f"{INTEGRATION}/event-processing")
    assert header(received, "secret-key") == "c2FuZGJveC1hcHAtdG9rZW4="
    assert received["body"] == {
        "customer": {"source_id": "user-3001", "email": "alex.sample@example.com"},
        "referral": {"code": "REF-ALEX"},
        "metadata": {"rating": 5, "product": "Uno Card Game"},
        "event": "Review Written",
        "type": "track",
    }
    assert received["status"] == 200
    assert received["response"]["type"] == "Review Written"
    assert received["response"]["customer"]["source_id"] == "user-3001"


def test_a_batch_of_segment_messages_makes_one_event_per_message(live, connector):
    page = {
        "type": "page",
        "name": "Pricing",
        "userId": "user-3001",
        "messageId": f"ajs-next-{uuid.uuid4()}",
        "properties": {"url": "https://shop.example.com/pricing"},
    }
    batch = {"batch": [identify(), track(), page]}

    response = live.post(in_path(connector), batch, token=connector.tokens_plain["in"])

    assert response.status_code == 200, response.text
    event_ids = response.json()["event_ids"]
    assert response.json()["duplicates"] == 0
    events = [Event.objects.get(public_id=event_id) for event_id in event_ids]
    assert [e.event_type for e in events] == ["identify", "track:Review Written", "page"]
    assert [e.source_event_id for e in events] == [m["messageId"] for m in batch["batch"]]
    for event_id in event_ids:
        [delivery] = settled(event_id)
        assert delivery.status == Delivery.Status.SUCCEEDED
    received = live.received("voucherify")
    assert sorted(r["path"] for r in received) == [
        f"{INTEGRATION}/customer-processing",
        f"{INTEGRATION}/event-processing",
        f"{INTEGRATION}/event-processing",
    ]
    assert [r["status"] for r in received] == [200, 200, 200]
    assert {r["body"].get("event") for r in received} == {None, "Review Written", "Viewed Pricing Page"}


def test_a_signed_segment_entered_webhook_becomes_a_segment_track_for_the_source_id(live, connector):
    envelope = segment_entered()
    body = compact(envelope)

    response = post_webhook(live, connector, body)

    event = accepted_event(response)
    assert event.event_type == "customer.segment.entered"
    assert event.identity == "a-tst"
    [delivery] = settled(str(event.public_id))
    assert delivery.status == Delivery.Status.SUCCEEDED
    [message] = live.segment_messages()
    assert message["type"] == "track"
    assert message["event"] == "Customer Entered Segment"
    assert message["userId"] == "a-tst"
    assert message["messageId"] == envelope["id"]
    assert message["timestamp"] == "2024-02-29T14:04:59.000Z"
    assert message["properties"]["segment"] == {
        "id": "seg_n3vVcU5t0m3rs4rEPr3C1oU5",
        "name": "New Customers",
        "object": "segment",
    }
    assert message["properties"]["customer"]["summary_orders_total_count"] == 0
    assert message["context"]["library"] == {"name": "ee-connect", "version": django_settings.VERSION}


def test_seed_004s_raw_payload_signed_with_the_secret_becomes_customer_entered_segment(live, connector):
    raw = segment_entered()["data"]  # what the distribution sends with "Raw payload" ticked
    body = compact(raw)

    response = post_webhook(live, connector, body)

    event = accepted_event(response)
    assert (event.event_type, event.identity) == ("customer.segment.entered", "a-tst")
    [delivery] = settled(str(event.public_id))
    assert delivery.status == Delivery.Status.SUCCEEDED
    [message] = live.segment_messages()
    assert (message["type"], message["event"], message["userId"]) == ("track", "Customer Entered Segment", "a-tst")
    assert message["messageId"] == event.source_event_id
    assert message["messageId"].startswith("raw-")
    assert message["properties"]["segment"]["id"] == "seg_n3vVcU5t0m3rs4rEPr3C1oU5"


def test_a_group_call_reaches_the_group_processing_endpoint(live, connector):
    group = {
        "type": "group",
        "userId": "user-3001",
        "groupId": "acme-ltd",
        "messageId": f"ajs-next-{uuid.uuid4()}",
        "traits": {"name": "Acme Ltd", "plan": "enterprise"},
    }

    response = live.post(in_path(connector), group, token=connector.tokens_plain["in"])

    [delivery] = settled(str(accepted_event(response).public_id))
    assert delivery.status == Delivery.Status.SUCCEEDED
    [received] = live.received("voucherify")
    assert received["path"] == f"{INTEGRATION}/group-processing"
    assert received["body"] == {
        "customer": {"source_id": "user-3001"},
        "group_id": "acme-ltd",
        "traits": {"name": "Acme Ltd", "plan": "enterprise"},
        "type": "group",
    }
    assert received["response"]["customer"]["metadata"] == {"plan": "enterprise"}


def test_the_signature_is_checked_over_the_exact_bytes_posted(live, connector):
    body = json.dumps(segment_entered(), indent=2).encode()

    response = post_webhook(live, connector, body)

    [delivery] = settled(str(accepted_event(response).public_id))
    assert delivery.status == Delivery.Status.SUCCEEDED


@pytest.mark.parametrize(
    "signed",
    [signature(b"{}"), "", None],
    ids=["signature-of-other-bytes", "empty-signature", "wrong-secret"],
)
def test_a_bad_signature_is_refused_401_and_nothing_is_stored(live, connector, signed):
    body = compact(segment_entered())
    presented = signature(body, "another-secret") if signed is None else signed

    response = post_webhook(live, connector, body, signed=presented)

    assert response.status_code == 401
    assert response.json()["message"] in (
        "The x-voucherify-signature does not match the body signed with this connector's webhook secret.",
        "The x-voucherify-signature header is missing.",
    )
    assert not Event.objects.filter(connector=connector).exists()
    assert not Delivery.objects.filter(connector=connector).exists()
    assert live.received("segment") == []


def test_a_webhook_without_a_customer_is_stored_as_ignored(live, connector):
    envelope = segment_entered()
    envelope["type"] = "redemption.succeeded"
    envelope["event"]["type"] = "redemption.succeeded"
    envelope["data"] = {
        "voucher": {"id": "v_7Hq2", "code": "SPRING-2024", "type": "DISCOUNT_VOUCHER"},
        "redemption": {"id": "r_0c1d", "result": "SUCCESS"},
        "customer": None,
    }

    response = post_webhook(live, connector, compact(envelope))

    event = accepted_event(response)
    assert event.status == Event.Status.IGNORED
    assert event.error == (
        "This redemption.succeeded event has no customer with a source_id; Voucherify sends only customer "
        "events to Segment, keyed by the customer's source_id."
    )
    assert not Delivery.objects.filter(event=event).exists()
    assert live.received("segment") == []


def test_the_same_envelope_twice_makes_one_delivery(live, connector):
    body = compact(segment_entered())

    first = post_webhook(live, connector, body)
    second = post_webhook(live, connector, body)

    event = accepted_event(first)
    assert second.status_code == 200
    assert second.json() == {"status": "OK", "event_id": str(event.public_id), "duplicate": True}
    settled(str(event.public_id))
    assert Delivery.objects.filter(connector=connector).count() == 1
    event.refresh_from_db()
    assert event.duplicate_count == 1
    assert len(live.segment_messages()) == 1
