"""A Perkville connector fed Segment batches: the webhook tests' shared setup (its fixtures are in
``conftest.py``)."""

PERKVILLE_SETTINGS = {
    "api_base_url": "https://api.perkville.example",
    "business_id": "4211",
    "location_id": "87",
    "send_email": False,
    "event_perk_map": {"Checked In": 5},
}


def check_in(number: int, **changes) -> dict:
    """A Segment track Perkville's event map knows, for member ``number``."""
    return {
        "type": "track", "event": "Checked In", "userId": f"u-{number}", "messageId": f"m-{number}",
        "properties": {"email": f"member{number}@example.com"}, **changes,
    }
