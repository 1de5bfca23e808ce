"""Synthetic Segment messages for the admin's test event and mapping preview, and the demo's connector."""

from connectors.kinds.base import Direction, SandboxConnector, SandboxSite

ORDER_COMPLETED = {
    "type": "track",
    "event": "Order Completed",
    "userId": "user-2001",
    "messageId": "ajs-next-1b2c3d4e-5f60-4718-8a9b-0c1d2e3f4a5b",
    "timestamp": "2024-03-01T12:00:00.000Z",
    "properties": {"order_id": "o283h08fh2390f923uofu23", "revenue": 9.99, "email": "example@example.com"},
}

CHECKED_IN = {
    "type": "track",
    "event": "Checked In",
    "userId": "user-2002",
    "messageId": "ajs-next-9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
    "timestamp": "2024-03-01T08:30:00.000Z",
    "properties": {"class": "Morning Yoga"},
    "context": {"traits": {"email": "sam@example.com"}},
}

AUDIENCE_ENTERED = {
    "type": "identify",
    "userId": "user-2003",
    "messageId": "engage-3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f",
    "timestamp": "2024-03-01T09:00:00.000Z",
    "traits": {"email": "alex@example.com", "order_completed_last_30days": True},
    "context": {
        "personas": {
            "computation_class": "audience",
            "computation_id": "aud_2Wm1bq0t5V3kJ9xYzLpQ",
            "computation_key": "order_completed_last_30days",
            "namespace": "spa_8Hn2cR4tW6yZ",
            "space_id": "spa_8Hn2cR4tW6yZ",
        }
    },
    "integrations": {"All": False, "Perkville": True},
}

SAMPLES = {
    Direction.IN: {"Order Completed": ORDER_COMPLETED, "Checked In": CHECKED_IN, "Audience entered": AUDIENCE_ENTERED}
}


def sandbox_connector(site: SandboxSite) -> SandboxConnector:
    """The demo's connector: transactions to the sandbox's Perkville, Order Completed earning perk 3001."""
    return SandboxConnector(
        name="Segment → Perkville (sandbox)",
        settings={
            "api_base_url": site.urls["perkville"],
            "business_id": "1001",
            "location_id": "2001",
            "event_perk_map": {"Order Completed": "3001"},
        },
        secrets={"api_token": site.credentials["perkville"]["api_token"]},
    )
