"""What must hold for every notification, whatever its values, and what each default rule sends.

Invariants run over the kind's samples, the golden notifications and, when the folder is beside the
repository, AIR's published sample notifications (``../shared/fixtures/air-events``)."""

import copy
import json
from pathlib import Path

import pytest

from connectors.kinds.air_segment import KIND
from connectors.kinds.base import Direction
from events.rules.mapping import messages_render
from tests.connectors.air_segment import test_golden as golden
from tests.connectors.air_segment.support import config_make

PUBLISHED = Path(__file__).resolve().parents[4] / "shared" / "fixtures" / "air-events"


def _payloads() -> list[tuple[str, dict]]:
    found = [(f"sample {name}", payload) for name, payload in KIND.samples[Direction.OUT].items()]
    found += [
        ("golden settle", golden.settle_completing_a_spend()),
        ("golden fulfil middle", golden.fulfilment("middle")),
        ("golden fulfil final", golden.fulfilment("final")),
        ("golden refund partial", golden.refund(partial=True)),
        ("golden refund full", golden.refund(partial=False)),
        ("golden spend", golden.spend(void=False)),
        ("golden spend void", golden.spend(void=True)),
    ]
    if PUBLISHED.is_dir():
        found += [(f"published {path.name}", json.loads(path.read_text())) for path in sorted(PUBLISHED.glob("*.json"))]
    return found


PAYLOADS = _payloads()


def parsed(payload):
    [event] = KIND.parse(Direction.OUT, payload, config_make())  # GBP, minor units: divided by 100
    return event.context


def operations(payload, object_type):
    return [op["objectValue"] for op in payload["atomicOperations"] if op["objectType"] == object_type]


def transaction_operation(payload, reference, kind):
    return next(
        value
        for value in reversed(operations(payload, "walletTransactionEntity"))
        if value["reference"] == reference and value["type"] == kind
    )


@pytest.mark.parametrize(("name", "payload"), PAYLOADS, ids=[name for name, _ in PAYLOADS])
def test_a_fulfilment_never_totals_more_than_its_order(name, payload):
    context = parsed(payload)
    transaction = context["transaction"]
    # Only a middle FULFIL carries its whole order (FULFILLING); in a final one AIR reports the
    # order as settled with what is left of its basket, so the order's total is not there to compare.
    if context["fulfilment_stage"] != "middle":
        pytest.skip("not a middle fulfilment")
    parent = transaction_operation(payload, transaction["original_reference"], "SETTLE")
    assert transaction["total"] * 100 <= parent["basket"]["summary"]["totalBasketValue"]


@pytest.mark.parametrize(("name", "payload"), PAYLOADS, ids=[name for name, _ in PAYLOADS])
def test_points_deducted_by_a_refund_are_its_debit_less_what_it_re_earned(name, payload):
    context = parsed(payload)
    if context["event_name"] != "POSCONNECT.WALLET.REFUND":
        pytest.skip("not a refund")
    debited = sum(
        value["value"]
        for value in operations(payload, "walletAccountTransactionEntity")
        if value["account"]["type"] == "POINTS" and value["event"] == "REFUND_DEBIT"
    )
    earned = sum(
        value["value"]
        for value in operations(payload, "walletAccountTransactionEntity")
        if value["account"]["type"] == "POINTS" and value["event"] in ("EARN", "CREDIT")
    )
    assert context["transaction"]["points_deducted"] == debited - earned


@pytest.mark.parametrize(("name", "payload"), PAYLOADS, ids=[name for name, _ in PAYLOADS])
def test_a_points_coupon_is_valued_in_points_as_sent_never_as_money(name, payload):
    context = parsed(payload)
    sent = {
        (value["account"]["accountId"], value["event"]): value["value"]
        for value in operations(payload, "walletAccountTransactionEntity")
        if value["account"]["type"] == "ECOUPON"
    }
    for key, event in (("coupons_redeemed", "REDEEM"), ("coupons_unredeemed", "UNREDEEM")):
        for coupon in context[key]:
            raw = sent[(coupon["account_id"], event)]
            if coupon["value_type"] == "points":
                assert coupon["value"] == raw and isinstance(coupon["value"], int)
            else:
                assert coupon["value"] == raw / 100


@pytest.mark.parametrize(("name", "payload"), PAYLOADS, ids=[name for name, _ in PAYLOADS])
def test_discounts_are_the_sum_of_their_categories(name, payload):
    context = parsed(payload)
    transaction = context["transaction"]
    if transaction is None or transaction["type"] not in ("SETTLE", "FULFIL", "REFUND"):
        pytest.skip("no basket transaction")
    if context["fulfilment_stage"] == "middle":  # a middle FULFIL reports its order's discounts
        source = transaction_operation(payload, transaction["original_reference"], "SETTLE")
    else:
        source = transaction_operation(payload, transaction["reference"], transaction["type"])
    categories = ((source["basket"] or {}).get("summary") or {}).get("totalDiscountAmount") or {}
    assert transaction["discounts"] * 100 == sum(value for value in categories.values() if value is not None)


# What each default rule sends: (message type, event name, property or trait names), from the
# seed's data model. Renaming an event or a property in default_rules.json fails here.
COUPON = ("track", "EE Loyalty Coupon Redeemed", ["account_id", "campaign_id", "value"])
TIER = [
    "tier_balances_points",
    "tier_balances_reset_date",
    "tier_balances_spend",
    "tier_balances_transactions",
    "tier_id",
]
ORDER = [
    "coupons_redeemed", "currency", "discounts_received", "order_id", "products", "store_location", "total",
    "total_points_earned",
]  # fmt: skip
SPEND = ["original_transaction_reference", "points_balance", "points_spent", "store_location", "tier"]
SPEND += ["transaction_reference"]
COUPONS = "coupons"
RULE_OUTPUT = {
    "SERVICE.WALLET.ACCOUNTS.CREATE": [
        ("track", "EE Loyalty Program Joined", sorted([COUPONS, "points_balance", *TIER]))
    ],
    "SERVICE.WALLET.CREATE": [("track", "EE Loyalty Program Joined", sorted([COUPONS, "points_balance", *TIER]))],
    "SERVICE.WALLET.DELETE": [("identify", None, ["loyalty_member"])],
    "TIER.MEMBERSHIP.CREATE": [("track", "EE Loyalty Tier Membership Created", TIER)],
    "TIER.MEMBERSHIP.MOVE": [("track", "EE Loyalty Tier Membership Moved", TIER)],
    "TIER.MEMBERSHIP.CREDIT": [("track", "EE Loyalty Tier Membership Credited", TIER)],
    "TIER.MEMBERSHIP.DEBIT": [("track", "EE Loyalty Tier Membership Debited", TIER)],
    "TIER.MEMBERSHIP.ADJUST": [("track", "EE Loyalty Tier Membership Adjusted", TIER)],
    "POSCONNECT.WALLET.SETTLE": [COUPON, ("track", "EE Loyalty Purchase", ORDER)],
    "POSCONNECT.WALLET.FULFIL (initial)": [COUPON, ("track", "EE Loyalty Order Fulfilment Initiated", ORDER)],
    "POSCONNECT.WALLET.FULFIL (middle)": [("track", "EE Loyalty Order Fulfilment In Progress", ORDER)],
    "POSCONNECT.WALLET.FULFIL (final)": [("track", "EE Loyalty Order Fulfilment Completed", ORDER)],
    "POSCONNECT.WALLET.REFUND": [
        ("track", "EE Loyalty Coupon Unredeemed", ["account_id", "campaign_id", "value"]),
        (
            "track",
            "EE Loyalty Purchase Refunded",
            sorted([*(p for p in ORDER if p != "total_points_earned"), "coupons_unredeemed", "points_deducted"]),
        ),
    ],
    "POSCONNECT.WALLET.SPEND": [("track", "EE Loyalty Points Spent", SPEND)],
    "POSCONNECT.WALLET.SPEND.VOID": [("track", "EE Loyalty Points Spend Voided", sorted([*SPEND, "voided"]))],
    "WALLET.ACCOUNT.CREATE.PLAN": [
        ("track", "EE Loyalty Subscription Joined", ["account_id", "campaign_id", "entitlements"])
    ],
    "WALLET.ACCOUNT.UPDATE": [
        ("track", "EE Loyalty Subscription Cancelled", ["account_id", "campaign_id", "entitlements_cancalled"])
    ],
    "SERVICE.TRIGGER": [("track", "EE Loyalty Reward Triggered", ["account_id", "campaign_id", COUPONS, "points"])],
    "WALLET.ACCOUNT.CREATE.SCHEME": [("track", "EE Loyalty Scheme Account Created", [])],
    "WALLET.ACCOUNT.CREATE.CAMPAIGN": [("track", "EE Loyalty Campaign Account Created", [COUPONS])],
}


def _rule_payload(name: str) -> dict:
    if name == "SERVICE.WALLET.DELETE":
        return golden.notification("SERVICE.WALLET.DELETE", [])
    return copy.deepcopy(KIND.samples[Direction.OUT][name])


@pytest.mark.parametrize("name", sorted(RULE_OUTPUT))
def test_each_default_rule_sends_the_data_models_event_and_properties(name):
    [event] = KIND.parse(Direction.OUT, _rule_payload(name), config_make())

    messages = messages_render(KIND.default_rules[Direction.OUT], event_type=event.event_type, context=event.context)

    sent = [
        (m["type"], m.get("event"), sorted(m["properties"] if m["type"] == "track" else m["traits"])) for m in messages
    ]
    # A sample may redeem no coupon, so per-coupon messages appear zero or more times.
    per_coupon = {COUPON[1], "EE Loyalty Coupon Unredeemed"}
    assert [s for s in sent if s[1] not in per_coupon] == [r for r in RULE_OUTPUT[name] if r[1] not in per_coupon]
    for message in (s for s in sent if s[1] in per_coupon):
        assert message in RULE_OUTPUT[name]


def test_every_default_rule_is_in_the_table():
    covered = {name.split(" (")[0] for name in RULE_OUTPUT}

    assert {rule["event_type"] for rule in KIND.default_rules[Direction.OUT]} == covered
