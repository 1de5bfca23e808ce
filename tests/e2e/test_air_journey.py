"""The seed's sample journey, end to end: a consumer joins, Segment rewards them through AIR,
and AIR's SERVICE.TRIGGER notification comes back to Segment, all linked in the reward ledger."""

import copy
import json
import uuid

import pytest

from connectors.kinds.base import Direction
from connectors.kinds.registry import kind_get
from connectors.tokens import token_issue
from events.models import Delivery, Event
from rewards.models import RewardLedgerEntry
from tests.connectors.factories import AIR_SETTINGS, ConnectorFactory
from tests.e2e.harness import wait_until

pytestmark = pytest.mark.e2e
SAMPLES = kind_get("air_segment").samples


@pytest.fixture
def connector(live):
    connector = ConnectorFactory(
        settings={**AIR_SETTINGS, "air_wallet_url": live.sandbox("air"), "segment_base_url": live.sandbox("segment")}
    )
    connector.tokens_plain = {d: token_issue(connector=connector, direction=d).plaintext for d in ("in", "out")}
    return connector


def delivered(event_id: str) -> Delivery:
    return wait_until(
        lambda: Delivery.objects.filter(event__public_id=event_id, status=Delivery.Status.SUCCEEDED).first(),
        timeout=30,
        message=f"event {event_id} delivered",
    )


def test_join_reward_and_reward_notification_are_one_chain(live, connector):
    out_url, in_url = f"/out/segment/{connector.public_id}", f"/in/segment/{connector.public_id}"

    # 1. A wallet is created in AIR: Segment gets EE Loyalty Program Joined with the loyalty traits.
    joined = copy.deepcopy(SAMPLES[Direction.OUT]["SERVICE.WALLET.ACCOUNTS.CREATE"])
    joined["headers"]["eesEventId"] = str(uuid.uuid4())
    response = live.post(out_url, joined, token=connector.tokens_plain["out"])
    delivered(response.json()["event_id"])
    [track] = [m for m in live.segment_messages() if m.get("event") == "EE Loyalty Program Joined"]
    assert track["userId"] == "CUST-1001"
    assert track["context"]["traits"]["loyalty_member"] is True
    assert set(track["context"]["traits"]) >= {"points_balance", "tier_id", "tier_balances_points"}

    # 2. Segment's Eagle Eye destination triggers the welcome reward (no wallet transaction reference).
    trigger = {
        "type": "services/trigger",
        "body": {"identityValue": "CUST-1001", "triggers": [{"reference": "WELCOME1"}]},
    }
    response = live.post(in_url, trigger, token=connector.tokens_plain["in"])
    assert response.status_code == 200, response.text
    reward_delivery = delivered(response.json()["event_id"])
    [air_call] = live.received("air")
    assert air_call["status"] == 201  # the sandbox checked X-EES-AUTH-HASH over the bytes sent
    sent_reference = air_call["body"]["walletTransaction"]["reference"]
    assert sent_reference == reward_delivery.idempotency_key
    entry = wait_until(
        lambda: RewardLedgerEntry.objects.filter(delivery=reward_delivery, status="awarded").first(),
        message="the reward ledger entry to be awarded",
    )
    assert entry.identity == "CUST-1001"
    assert entry.trigger_references == ["WELCOME1"]
    assert entry.wallet_transaction_id

    # 3. AIR notifies SERVICE.TRIGGER for that transaction: EE Loyalty Reward Triggered reaches Segment.
    notification = copy.deepcopy(SAMPLES[Direction.OUT]["SERVICE.TRIGGER"])
    notification["headers"]["eesEventId"] = str(uuid.uuid4())
    notification["request"]["body"] = json.dumps(air_call["body"])
    response = live.post(out_url, notification, token=connector.tokens_plain["out"])
    delivered(response.json()["event_id"])
    assert any(m.get("event") == "EE Loyalty Reward Triggered" for m in live.segment_messages())

    entry.refresh_from_db()
    assert entry.follow_up_event == Event.objects.get(public_id=response.json()["event_id"])
    assert entry.request_event.deliveries.get() == reward_delivery
