"""Every AIR event of the Segment data model, from the kind's samples to the exact Segment batch."""

from tests.connectors.air_segment.support import batch_of, expected, out_translate, sample

MEMBER = {"loyalty_member": True}
RESET = "2026-01-31T23:59:59.000Z"


def tier_traits(points_balance, tier_id, points, spend, transactions):
    traits = {"loyalty_member": True}
    if points_balance is not None:
        traits["points_balance"] = points_balance
    return {
        **traits,
        "tier_id": tier_id,
        "tier_balances_points": points,
        "tier_balances_spend": spend,
        "tier_balances_transactions": transactions,
        "tier_balances_reset_date": RESET,
    }


def coupon(account_id, campaign_id, start="2025-03-01T09:00:00.000Z"):
    return {
        "account_id": account_id,
        "campaign_id": campaign_id,
        "type": "ECOUPON",
        "client_type": "OFFER",
        "status": "ACTIVE",
        "date_start": start,
        "date_end": "2025-12-31T23:59:00.000Z",
    }


STORE = {"store_id": "store-101", "store_parent_id": "region-north"}
WATER = {"product_id": "0501", "sku": "0501", "name": "Sparkling Water", "price": 1.5, "quantity": 2}
LOAF = {"product_id": "0502", "sku": "0502", "name": "Sourdough Loaf", "price": 3.25, "quantity": 1}
OIL = {"product_id": "0503", "sku": "0503", "name": "Olive Oil", "price": 8.99, "quantity": 1}


def test_wallet_and_accounts_created_becomes_program_joined_with_the_welcome_coupons():
    payload = sample("SERVICE.WALLET.ACCOUNTS.CREATE")

    _, translation = out_translate(payload)

    traits = tier_traits(0, "12", 0, 0.0, 0)
    properties = {
        "points_balance": 0,
        "tier_id": "12",
        "tier_balances_points": 0,
        "tier_balances_spend": 0.0,
        "tier_balances_transactions": 0,
        "tier_balances_reset_date": RESET,
        "coupons": [coupon("5000000101", "200000101")],
    }
    assert batch_of(translation) == expected(payload, [("EE Loyalty Program Joined", properties)], traits)


def test_wallet_created_becomes_program_joined_without_balances():
    payload = sample("SERVICE.WALLET.CREATE")

    _, translation = out_translate(payload)

    properties = {
        "points_balance": None,
        "tier_id": None,
        "tier_balances_points": None,
        "tier_balances_spend": None,
        "tier_balances_transactions": None,
        "tier_balances_reset_date": None,
        "coupons": [],
    }
    assert batch_of(translation) == expected(payload, [("EE Loyalty Program Joined", properties)], MEMBER)


def test_each_tier_membership_event_has_its_own_name_and_the_tier_balances():
    cases = {
        "TIER.MEMBERSHIP.CREATE": ("EE Loyalty Tier Membership Created", "12", 0, 0.0),
        "TIER.MEMBERSHIP.MOVE": ("EE Loyalty Tier Membership Moved", "13", 1200, 120.0),
        "TIER.MEMBERSHIP.CREDIT": ("EE Loyalty Tier Membership Credited", "12", 1500, 150.0),
        "TIER.MEMBERSHIP.DEBIT": ("EE Loyalty Tier Membership Debited", "12", 900, 90.0),
        "TIER.MEMBERSHIP.ADJUST": ("EE Loyalty Tier Membership Adjusted", "12", 1000, 100.0),
    }
    for name, (event, tier_id, points, spend) in cases.items():
        payload = sample(name)

        _, translation = out_translate(payload)

        traits = tier_traits(None, tier_id, points, spend, 3)
        properties = {key: value for key, value in traits.items() if key != "loyalty_member"}
        assert batch_of(translation) == expected(payload, [(event, properties)], traits), name


def test_settle_becomes_one_coupon_redeemed_per_coupon_then_the_purchase():
    payload = sample("POSCONNECT.WALLET.SETTLE")

    _, translation = out_translate(payload)

    redeemed = [
        {"account_id": "5000000101", "campaign_id": "200000101", "value": 2.0},
        {"account_id": "5000000102", "campaign_id": "200000102", "value": 0.75},
    ]
    purchase = {
        "order_id": "ORDER-2001",
        "total": 15.49,
        "currency": "GBP",
        "products": [WATER, LOAF, OIL],
        "coupons_redeemed": redeemed,
        "total_points_earned": 15,
        "discounts_received": 2.75,
        "store_location": STORE,
    }
    calls = [
        ("EE Loyalty Coupon Redeemed", redeemed[0]),
        ("EE Loyalty Coupon Redeemed", redeemed[1]),
        ("EE Loyalty Purchase", purchase),
    ]
    assert batch_of(translation) == expected(payload, calls, tier_traits(115, "12", 115, 15.49, 1))


def test_initial_fulfil_redeems_coupons_and_initiates_the_order_fulfilment():
    payload = sample("POSCONNECT.WALLET.FULFIL (initial)")

    event, translation = out_translate(payload)

    redeemed = {"account_id": "5000000103", "campaign_id": "200000103", "value": 1.0}
    order = {
        "order_id": "ORDER-2002",
        "total": 15.49,
        "currency": "GBP",
        "products": [WATER, LOAF, OIL],
        "coupons_redeemed": [redeemed],
        "total_points_earned": 15,
        "discounts_received": 2.75,
        "store_location": STORE,
    }
    calls = [("EE Loyalty Coupon Redeemed", redeemed), ("EE Loyalty Order Fulfilment Initiated", order)]
    assert event.context["fulfilment_stage"] == "initial"
    assert batch_of(translation) == expected(payload, calls, MEMBER)


def test_middle_fulfil_reports_the_items_fulfilled_with_the_order_totals_of_the_original():
    payload = sample("POSCONNECT.WALLET.FULFIL (middle)")

    event, translation = out_translate(payload)

    order = {
        "order_id": "ORDER-2002",
        "total": 3.0,
        "currency": "GBP",
        "products": [WATER],
        "coupons_redeemed": [],
        "total_points_earned": 15,
        "discounts_received": 2.75,
        "store_location": STORE,
    }
    assert event.context["fulfilment_stage"] == "middle"
    assert batch_of(translation) == expected(
        payload, [("EE Loyalty Order Fulfilment In Progress", order)], MEMBER
    )


def test_final_fulfil_completes_the_order_fulfilment():
    payload = sample("POSCONNECT.WALLET.FULFIL (final)")

    event, translation = out_translate(payload)

    order = {
        "order_id": "ORDER-2002",
        "total": 12.24,
        "currency": "GBP",
        "products": [LOAF, OIL],
        "coupons_redeemed": [],
        "total_points_earned": 15,
        "discounts_received": 0.0,
        "store_location": STORE,
    }
    traits = {"loyalty_member": True, "points_balance": 130}
    assert event.context["fulfilment_stage"] == "final"
    assert batch_of(translation) == expected(
        payload, [("EE Loyalty Order Fulfilment Completed", order)], traits
    )


def test_refund_unredeems_coupons_and_refunds_the_purchase():
    payload = sample("POSCONNECT.WALLET.REFUND")

    _, translation = out_translate(payload)

    # The coupon given back took 75 pence off the order: the refund of the water (300 pence after
    # line discounts) returns 300 - 75 = 225 pence. No discount was applied to the refund itself.
    unredeemed = {"account_id": "5000000102", "campaign_id": "200000102", "value": 0.75}
    refund = {
        "order_id": "ORDER-2001",
        "total": 2.25,
        "currency": "GBP",
        "products": [WATER],
        "coupons_redeemed": [],
        "coupons_unredeemed": [unredeemed],
        "points_deducted": 15,
        "discounts_received": 0.0,
        "store_location": STORE,
    }
    calls = [("EE Loyalty Coupon Unredeemed", unredeemed), ("EE Loyalty Purchase Refunded", refund)]
    assert batch_of(translation) == expected(payload, calls, tier_traits(100, "12", 100, 0.0, 0))


def test_spend_reports_points_spent_and_the_balance_after_the_spend():
    payload = sample("POSCONNECT.WALLET.SPEND")

    _, translation = out_translate(payload)

    # The property is what the spend leaves (balanceAfter 600); the trait is the points account's
    # balance as AIR reports it on the account (1,100: the 500 are locked, not yet taken).
    # No tier points in results.tiers: 0, as EE's library reports it.
    spent = {
        "transaction_reference": "SPEND-3001",
        "original_transaction_reference": "ORDER-3001",
        "points_spent": 500,
        "points_balance": 600,
        "tier": 0,
        "store_location": STORE,
    }
    traits = {"loyalty_member": True, "points_balance": 1100}
    assert batch_of(translation) == expected(payload, [("EE Loyalty Points Spent", spent)], traits)


def test_spend_void_is_flagged_voided_with_the_balance_given_back():
    payload = sample("POSCONNECT.WALLET.SPEND.VOID")

    event, translation = out_translate(payload)

    # Voided: the 500 points come back on top of the spend's balanceAfter: 600 + 500 = 1,100.
    voided = {
        "transaction_reference": "SPEND-3001",
        "original_transaction_reference": None,
        "points_spent": 500,
        "points_balance": 1100,
        "tier": 0,
        "store_location": STORE,
        "voided": True,
    }
    traits = {"loyalty_member": True, "points_balance": 1100}
    assert event.context["points_voided"] == 500
    assert batch_of(translation) == expected(payload, [("EE Loyalty Points Spend Voided", voided)], traits)


def test_plan_account_becomes_subscription_joined_with_its_entitlements():
    payload = sample("WALLET.ACCOUNT.CREATE.PLAN")

    _, translation = out_translate(payload)

    joined = {
        "account_id": "5000000201",
        "campaign_id": "200000201",
        "entitlements": [
            {"account_id": "5000000202", "campaign_id": "200000202"},
            {"account_id": "5000000203", "campaign_id": "200000203"},
        ],
    }
    assert batch_of(translation) == expected(payload, [("EE Loyalty Subscription Joined", joined)], MEMBER)


def test_cancelled_subscription_lists_the_entitlements_lost_under_the_data_models_property_name():
    payload = sample("WALLET.ACCOUNT.UPDATE")

    _, translation = out_translate(payload)

    cancelled = {
        "account_id": "5000000201",
        "campaign_id": "200000201",
        "entitlements_cancalled": [
            {"account_id": "5000000202", "campaign_id": "200000202"},
            {"account_id": "5000000203", "campaign_id": "200000203"},
        ],
    }
    assert batch_of(translation) == expected(
        payload, [("EE Loyalty Subscription Cancelled", cancelled)], MEMBER
    )


def test_behavioural_action_becomes_reward_triggered_with_points_and_coupons():
    payload = sample("SERVICE.TRIGGER")

    _, translation = out_translate(payload)

    reward = {
        "account_id": "5000000301",
        "campaign_id": "200000301",
        "points": 250,
        "coupons": [coupon("5000000104", "200000104")],
    }
    traits = tier_traits(1350, "12", 1350, 0.0, 0)
    assert batch_of(translation) == expected(payload, [("EE Loyalty Reward Triggered", reward)], traits)


def test_scheme_account_created_has_no_properties():
    payload = sample("WALLET.ACCOUNT.CREATE.SCHEME")

    _, translation = out_translate(payload)

    traits = tier_traits(0, "12", 0, 0.0, 0)
    assert batch_of(translation) == expected(payload, [("EE Loyalty Scheme Account Created", {})], traits)


def test_campaign_account_created_lists_the_coupon():
    payload = sample("WALLET.ACCOUNT.CREATE.CAMPAIGN")

    _, translation = out_translate(payload)

    properties = {"coupons": [coupon("5000000105", "200000105")]}
    assert batch_of(translation) == expected(
        payload, [("EE Loyalty Campaign Account Created", properties)], MEMBER
    )
