"""Optional: the published AIR sample notifications translate to the data model's event names.

Skipped when ../shared/fixtures is absent (the project never depends on it).
"""

import json
from pathlib import Path

import pytest

from tests.connectors.air_segment.support import config_make, out_translate

FIXTURES = Path(__file__).resolve().parents[4] / "shared" / "fixtures" / "air-events"

EXPECTED_TRACKS = {
    "SERVICE.WALLET.ACCOUNTS.CREATE.json": ["EE Loyalty Program Joined"],
    "SERVICE.WALLET.CREATE.json": ["EE Loyalty Program Joined"],
    "TIER.MEMBERSHIP.CREATE.json": ["EE Loyalty Tier Membership Created"],
    "TIER.MEMBERSHIP.MOVE.json": ["EE Loyalty Tier Membership Moved"],
    "TIER.MEMBERSHIP.CREDIT.json": ["EE Loyalty Tier Membership Credited"],
    "POSCONNECT.WALLET.SETTLE.json": ["EE Loyalty Coupon Redeemed"] * 4 + ["EE Loyalty Purchase"],
    "POSCONNECT.WALLET.FULFIL_initial.json": ["EE Loyalty Order Fulfilment Initiated"],
    "POSCONNECT.WALLET.FULFIL_middle.json": ["EE Loyalty Order Fulfilment In Progress"],
    "POSCONNECT.WALLET.FULFIL_final.json": ["EE Loyalty Order Fulfilment Completed"],
    "POSCONNECT.WALLET.REFUND_Full.json": ["EE Loyalty Purchase Refunded"],
    "Step_2-_POSCONNECT.WALLET.SPEND.json": ["EE Loyalty Points Spent"],
    "Step_3.1_Void_-POSCONNECT.WALLET.SPEND.VOID.json": ["EE Loyalty Points Spend Voided"],
    "WALLET.ACCOUNT.CREATE.PLAN.json": ["EE Loyalty Subscription Joined"],
    "WALLET.ACCOUNT.UPDATE_cancel_subscription_accounts.json": ["EE Loyalty Subscription Cancelled"],
    "SERVICE.TRIGGER_points.json": ["EE Loyalty Reward Triggered"],
    "WALLET.ACCOUNT.CREATE.SCHEME.json": ["EE Loyalty Scheme Account Created"],
    "WALLET.ACCOUNT.CREATE.CAMPAIGN_single.json": ["EE Loyalty Campaign Account Created"],
}


@pytest.mark.skipif(not FIXTURES.is_dir(), reason="shared AIR fixtures are not present")
def test_every_published_air_notification_translates_to_the_data_models_events():
    names = sorted(path.name for path in FIXTURES.glob("*.json"))
    results = {}
    for name in names:
        _, translation = out_translate(json.loads((FIXTURES / name).read_text()), config_make(currency="CAD"))
        results[name] = translation.ignored or [
            message.get("event")
            for request in translation.requests
            for message in request.body["batch"]
            if message["type"] == "track"
        ]
        assert not translation.failed, name

    assert results == {
        **EXPECTED_TRACKS,
        "POSCONNECT.WALLET.OPEN.json": "No mapping rule for POSCONNECT.WALLET.OPEN",
    }


@pytest.mark.skipif(not FIXTURES.is_dir(), reason="shared AIR fixtures are not present")
def test_the_scheme_account_event_carries_no_properties():
    payload = json.loads((FIXTURES / "WALLET.ACCOUNT.CREATE.SCHEME.json").read_text())

    _, translation = out_translate(payload)

    [request] = translation.requests
    assert [message.get("properties") for message in request.body["batch"]] == [None, {}]
