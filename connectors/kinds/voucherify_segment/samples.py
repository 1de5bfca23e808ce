"""Synthetic payloads for the admin's test event and mapping preview, and the demo's connector.

Voucherify webhooks are signed: send a sample with ``x-voucherify-signature`` = the lowercase hex
HMAC-SHA256 of the exact body bytes, keyed with the connector's webhook secret.
"""

from connectors.kinds.base import Direction, SandboxConnector, SandboxSite

_CUSTOMER = {
    "id": "cust_Sample0Customer0001",
    "source_id": "user-3001",
    "name": "Alex Sample",
    "email": "alex.sample@example.com",
    "address": {
        "city": "London",
        "state": None,
        "line_1": None,
        "line_2": None,
        "country": "GB",
        "postal_code": None,
    },
    "summary": {
        "redemptions": {
            "total_redeemed": 1,
            "total_failed": 0,
            "total_succeeded": 1,
            "gift": {"redeemed_amount": 0, "amount_to_go": 0},
            "loyalty_card": {"redeemed_points": 0, "points_to_go": 0},
        },
        "orders": {"total_amount": 5000, "total_count": 1, "average_amount": 5000, "last_order_amount": 5000},
    },
    "loyalty": {"points": 0, "referred_customers": 0, "campaigns": {}},
    "referrals": {"total": 0, "campaigns": []},
    "metadata": {"tier": "gold"},
    "system_metadata": {},
    "created_at": "2024-02-29T14:04:46.506Z",
    "object": "customer",
}

REDEMPTION_SUCCEEDED = {
    "id": "whs_Sample0Redemption01",
    "project_id": "proj_Sample0Project",
    "created_at": "2024-03-01T12:00:01.000Z",
    "type": "redemption.succeeded",
    "data": {
        "customer": _CUSTOMER,
        "campaign": {
            "id": "camp_Sample0Campaign",
            "name": "Spring Sale",
            "type": "DISCOUNT_COUPONS",
            "active": True,
        },
        "voucher": {
            "id": "v_Sample0Voucher",
            "code": "SPRING-2024",
            "type": "DISCOUNT_VOUCHER",
            "discount": {"type": "PERCENT", "percent_off": 10},
        },
        "order": {
            "id": "ord_Sample0Order",
            "source_id": "order-9001",
            "amount": 5000,
            "discount_amount": 500,
            "items": [{"product_id": "prod_1", "quantity": 1}],
        },
        "redemption": {"id": "r_Sample0Redemption", "result": "SUCCESS", "date": "2024-03-01T12:00:00.000Z"},
        "holder": None,
        "promotion_tier": None,
    },
    "source": {
        "id": "wh_Sample0Webhook",
        "object": "webhook",
        "target_url": "https://connect.example.com/out",
    },
    "event": {
        "id": "evred_Sample0Event01",
        "type": "redemption.succeeded",
        "created_at": "2024-03-01T12:00:00.000Z",
        "entity_id": "r_Sample0Redemption",
        "group_id": "v-Sample0Request",
        "event_source": {"channel": "API", "api_key": {"name": "Checkout", "app_id": "sample-app-id"}},
    },
}

SEGMENT_ENTERED = {
    "id": "whs_Sample0Segment001",
    "project_id": "proj_Sample0Project",
    "created_at": "2024-02-29T14:05:00.000Z",
    "type": "New customers",
    "data": {
        "customer": {**_CUSTOMER, "source_id": "a-tst", "name": "Alex Test", "email": None, "metadata": {}},
        "segment": {"id": "seg_Sample0Segment", "name": "New Customers", "object": "segment"},
    },
    "source": {
        "id": "distr_Sample0Distribution",
        "object": "distribution",
        "target_url": "https://connect.example.com/out",
    },
    "event": {
        "id": "evcus_Sample0Event02",
        "type": "customer.segment.entered",
        "created_at": "2024-02-29T14:04:59.000Z",
        "entity_id": "cust_Sample0Customer0001",
        "group_id": "v-Sample0Request2",
        "event_source": {"channel": "INTERNAL"},
    },
}

IDENTIFY = {
    "type": "identify",
    "userId": "user-3001",
    "messageId": "ajs-next-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
    "timestamp": "2024-03-01T10:00:00.000Z",
    "traits": {
        "firstName": "Alex",
        "lastName": "Sample",
        "email": "alex.sample@example.com",
        "phone": "+44 20 7946 0000",
        "birthday": "1990-04-12T00:00:00.000Z",
        "address": {
            "street": "1 Example Street",
            "city": "London",
            "postalCode": "EC1A 1AA",
            "country": "GB",
        },
        "metadata": {"tier": "gold", "vip": True, "favourite_colour": "green"},
    },
}

TRACK = {
    "type": "track",
    "event": "Review Written",
    "userId": "user-3001",
    "messageId": "ajs-next-5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b",
    "timestamp": "2024-03-01T10:05:00.000Z",
    "properties": {"metadata": {"rating": 5, "product": "Uno Card Game"}, "referral": {"code": "REF-ALEX"}},
    "context": {"traits": {"email": "alex.sample@example.com"}},
}

PAGE = {
    "type": "page",
    "name": "Pricing",
    "userId": "user-3001",
    "messageId": "ajs-next-7c8d9e0f-1a2b-4c3d-8e4f-5a6b7c8d9e0f",
    "timestamp": "2024-03-01T10:06:00.000Z",
    "properties": {"url": "https://shop.example.com/pricing"},
}

GROUP = {
    "type": "group",
    "userId": "user-3001",
    "groupId": "acme-ltd",
    "messageId": "ajs-next-9e0f1a2b-3c4d-4e5f-8a6b-7c8d9e0f1a2b",
    "timestamp": "2024-03-01T10:07:00.000Z",
    "traits": {"name": "Acme Ltd", "plan": "enterprise"},
}

SAMPLES = {
    Direction.IN: {"Identify": IDENTIFY, "Track: Review Written": TRACK, "Page: Pricing": PAGE, "Group": GROUP},
    Direction.OUT: {"redemption.succeeded": REDEMPTION_SUCCEEDED, "customer.segment.entered": SEGMENT_ENTERED},
}


def sandbox_connector(site: SandboxSite) -> SandboxConnector:
    """The demo's connector: the sandbox's Voucherify and Segment, webhooks signed with a demo secret."""
    return SandboxConnector(
        name="Voucherify ⇄ Segment (sandbox)",
        settings={
            "voucherify_api_url": site.urls["voucherify"],
            "voucherify_app_id": site.credentials["voucherify"]["app_id"],
            "segment_region": "US",
            "segment_base_url": site.urls["segment"],
        },
        secrets={
            "voucherify_app_token": site.credentials["voucherify"]["app_token"],
            "voucherify_webhook_secret": "demo-webhook-secret",
            "segment_write_key": site.credentials["segment"]["write_key"],
        },
    )
