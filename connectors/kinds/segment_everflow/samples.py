"""Synthetic Segment messages for the admin's test event and mapping preview, and the demo's connector."""

from connectors.kinds.base import Direction, SandboxConnector, SandboxSite

WEB_ORDER_COMPLETED = {
    "type": "track",
    "event": "Order Completed",
    "userId": "user-1001",
    "messageId": "ajs-next-7f3c2a1e-0b4d-4a55-9c1e-0d2f4b6a8c10",
    "timestamp": "2024-03-01T12:00:00.000Z",
    "properties": {
        "orderId": "o283h08fh2390f923uofu23",
        "total": 27.5,
        "coupon": "SPRING10",
        "adv1": "newsletter",
        "adv3": 2,
        "products": [
            {"sku": "SKU-45790-32", "name": "Monopoly: 3rd Edition", "quantity": 1},
            {"sku": "SKU-46493-32", "name": "Uno Card Game", "quantity": 2},
        ],
    },
    "context": {
        "ip": "203.0.113.7",
        "userAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7)",
        "traits": {"email": "pat@example.com"},
        "referrer": {"type": "everflow", "id": "9d4c2b0f1e7a4c3b8a6d5e4f3a2b1c0d"},
    },
}

MOBILE_PURCHASE = {
    "type": "track",
    "event": "Purchase",
    "userId": "user-1002",
    "messageId": "ios-2c1d9e8f-7a6b-4c5d-8e9f-0a1b2c3d4e5f",
    "timestamp": "2024-03-01T12:05:00.000Z",
    "properties": {"transaction_id": "5f1e2d3c4b5a69788796a5b4c3d2e1f0", "total": "12.99", "adv2": True},
    "context": {
        "ip": "198.51.100.23",
        "app": {"name": "Example Shop", "version": "4.2.1", "namespace": "com.example.shop"},
        "device": {
            "type": "ios",
            "manufacturer": "Apple",
            "model": "iPhone15,2",
            "adTrackingEnabled": True,
            "advertisingId": "6D92078A-8246-4BA4-AE5B-76104861E7DC",
        },
        "network": {"carrier": "Example Mobile", "wifi": True},
        "os": {"name": "iOS", "version": "17.3"},
        "location": {"latitude": 51.5074, "longitude": -0.1278},
    },
}

SAMPLES = {Direction.IN: {"Order Completed (web)": WEB_ORDER_COMPLETED, "Purchase (iOS app)": MOBILE_PURCHASE}}


def sandbox_connector(site: SandboxSite) -> SandboxConnector:
    """The demo's connector: postbacks and rejections to the sandbox's Everflow, Order Completed
    as the base conversion."""
    everflow = site.urls["everflow"]
    return SandboxConnector(
        name="Segment → Everflow (sandbox)",
        settings={
            "tracking_domain": everflow,
            "network_id": site.credentials["everflow"]["network_id"],
            "event_map": {"Order Completed": 0},
            "api_base_url": f"{everflow}/api",
        },
        secrets={"api_key": site.credentials["everflow"]["api_key"]},
    )
