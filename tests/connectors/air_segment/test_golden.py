"""Golden values: each notification shape AIR sends, each expected value worked out by hand from the
payload (the arithmetic is in the test). Currency GBP, amounts in minor units (divided by 100)."""

import copy

from tests.connectors.air_segment.notifications import (
    CUSTOMER,
    WALLET,
    coupon,
    line,
    notification,
    points,
    points_coupon_adjudication,
    tier,
    transaction,
)
from tests.connectors.air_segment.support import config_make, out_translate


def translated(payload, **settings):
    event, translation = out_translate(payload, config_make(**settings))
    tracks = {}
    for request in translation.requests:
        for message in request.body["batch"]:
            tracks.setdefault(message.get("event") or message["type"], []).append(message)
    return event.context, tracks, translation


def settle_completing_a_spend() -> dict:
    """A SETTLE of ORD-1 that completes the points spend SP-1 linked to it, with a money coupon
    (C-MONEY, 250 off the basket), a coupon that awards 150 points (C-POINTS), points earned (40)
    and credited (150) inside the SETTLE, and two discount categories."""
    return notification(
        "POSCONNECT.WALLET.SETTLE",
        [
            transaction("UPDATE", id="10", reference="ORD-1", type="SETTLE", status="SETTLED"),
            coupon("REDEEM", "C-MONEY", "CAMP-MONEY", 250),
            coupon("REDEEM", "C-POINTS", "CAMP-POINTS", 150),
            points("EARN", 40, 1040),
            points("CREDIT", 150, 1190),
            tier("T2", 240, 18500, 3),
            transaction(
                "UPDATE",
                id="10",
                reference="ORD-1",
                type="SETTLE",
                status="SETTLED",
                lines=[line("A", 500, 2, 900), line("B", 1200, 1, 1200)],
                basket_value=1850,
                discounts={"promotions": 250, "staff": 100, "general": None},
                points={"earn": 40, "credit": 150, "totalPointsGiven": 190},
                tier_points=40,
                adjudication=points_coupon_adjudication("C-POINTS", "CAMP-POINTS-1", 150),
            ),
            points("SPEND", 500, 690),
            transaction(
                "UPDATE",
                id="11",
                parent="10",
                reference="SP-1",
                type="SPEND",
                status="SETTLED",
                points={"spend": 500, "totalPointsTaken": 500},
                spend={"pointsValue": 500, "balanceAfter": {"current": 540}},
            ),
        ],
    )


def test_a_settle_completing_a_spend_is_the_purchase_of_the_settle_transaction():
    context, tracks, _ = translated(settle_completing_a_spend())

    [purchase] = tracks["EE Loyalty Purchase"]
    properties = purchase["properties"]
    # The SETTLE transaction, not the SPEND that comes after it in the operations.
    assert properties["order_id"] == "ORD-1"
    # totalBasketValue is after discounts: lines 900 + 1200 = 2100, less the 250 coupon = 1850 pence.
    assert properties["total"] == 18.5
    # Discount categories: promotions 250 + staff 100 (general null) = 350 pence.
    assert properties["discounts_received"] == 3.5
    # totalPointsGiven: 40 earned + 150 credited by the points coupon.
    assert properties["total_points_earned"] == 190
    assert properties["products"] == [
        {"product_id": "A", "sku": "A", "name": "Product A", "price": 5.0, "quantity": 2},
        {"product_id": "B", "sku": "B", "name": "Product B", "price": 12.0, "quantity": 1},
    ]
    assert properties["store_location"] == {"store_id": "store-9", "store_parent_id": "region-9"}
    # The latest points balance: 1190 after the credit, less the 500 spent = 690; not the spend's
    # stale balanceAfter (540).
    assert purchase["context"]["traits"]["points_balance"] == context["points_balance"] == 690
    assert purchase["userId"] == CUSTOMER


def test_a_coupon_that_awards_points_is_valued_in_points_and_a_money_coupon_in_currency():
    _, tracks, _ = translated(settle_completing_a_spend())

    redeemed = {m["properties"]["account_id"]: m["properties"]["value"] for m in tracks["EE Loyalty Coupon Redeemed"]}
    # C-MONEY took 250 pence off: 2.50. C-POINTS' redeem is paired with a credit of its instance to
    # the points account: 150 points, never divided by 100.
    assert redeemed == {"C-MONEY": 2.5, "C-POINTS": 150}


def test_points_are_never_divided_even_in_a_currency_without_minor_units():
    context, _, _ = translated(settle_completing_a_spend(), currency="JPY")

    # JPY has no minor unit: money is as sent; points are points either way.
    assert context["transaction"]["total"] == 1850
    assert [c["value"] for c in context["coupons_redeemed"]] == [250, 150]


def fulfilment(stage: str) -> dict:
    """FULFIL of ORD-2 (basket 3000 after a 300 discount, 30 points). Middle: lines X (900 after
    discount) and Y (800) fulfilled, no summary of its own. Final: line Z (1300), its own summary
    (no discount, 13 points earned on fulfilment)."""
    order_status = "SETTLED" if stage == "final" else "FULFILLING"
    operations = [
        transaction(
            "UPDATE",
            id="20",
            reference="ORD-2",
            type="SETTLE",
            status=order_status,
            basket_value=3000,
            discounts={"promotions": 300},
            points={"earn": 30, "totalPointsGiven": 30},
            store=None,
        )
    ]
    if stage == "middle":
        operations.append(
            transaction(
                "CREATE",
                id="21",
                parent="20",
                reference="F-2a",
                type="FULFIL",
                status="FULFILLED",
                lines=[line("X", 1000, 1, 900), line("Y", 400, 2, 800)],
            )
        )
        body = {"reference": "F-2a", "basket": {"contents": []}}
    else:
        operations = [
            points("EARN", 13, 243),
            *operations,
            transaction(
                "CREATE",
                id="22",
                parent="20",
                reference="F-2b",
                type="FULFIL",
                status="FULFILLED",
                lines=[line("Z", 1300, 1, 1300)],
                basket_value=3000,
                discounts={"promotions": 0},
                points={"earn": 13, "totalPointsGiven": 13},
            ),
        ]
        body = {"reference": "F-2b", "basket": {"contents": []}, "finalise": True}
    return notification("POSCONNECT.WALLET.FULFIL", operations, request_body=body)


def test_a_middle_fulfilment_totals_the_lines_fulfilled_not_the_order():
    context, tracks, _ = translated(fulfilment("middle"))

    [progress] = tracks["EE Loyalty Order Fulfilment In Progress"]
    properties = progress["properties"]
    assert context["fulfilment_stage"] == "middle"
    # Lines fulfilled now: 900 + 800 = 1700 pence after discount (the order is 3000).
    assert properties["total"] == 17.0
    # A middle FULFIL has no summary: discounts and points are the order's (300 pence, 30 points).
    assert (properties["discounts_received"], properties["total_points_earned"]) == (3.0, 30)
    assert properties["order_id"] == "ORD-2"
    assert context["transaction"]["reference"] == "F-2a"
    # Where it was fulfilled: the FULFIL's own location (the order has none).
    assert properties["store_location"] == {"store_id": "store-9", "store_parent_id": "region-9"}


def test_a_final_fulfilment_totals_its_lines_with_its_own_summary():
    context, tracks, _ = translated(fulfilment("final"))

    [completed] = tracks["EE Loyalty Order Fulfilment Completed"]
    properties = completed["properties"]
    assert context["fulfilment_stage"] == "final"
    # Line Z: 1300 pence. Its own summary: no discount, 13 points earned (its "earn").
    assert (properties["total"], properties["discounts_received"], properties["total_points_earned"]) == (13.0, 0.0, 13)
    assert properties["order_id"] == "ORD-2"
    assert completed["context"]["traits"]["points_balance"] == 243


def refund(partial: bool) -> dict:
    """REFUND R-3 of ORD-3. Partial: line P (2500) refunded; the order's 800-pence coupon C-1 is
    given back (UNREDEEM) and redeemed again at 600 on what is kept; 60 points taken back
    (REFUND_DEBIT), 35 re-earned on what is kept. Full: lines P and Q (2500 + 1500), 60 points back."""
    lines = [line("P", 2500, 1, 2500)] if partial else [line("P", 2500, 1, 2500), line("Q", 1500, 1, 1500)]
    operations = [
        *([coupon("UNREDEEM", "C-1", "CAMP-1", 800)] if partial else []),
        points("REFUND_DEBIT", 60, 940),
        *([points("EARN", 35, 975)] if partial else []),
        *([coupon("REDEEM", "C-1", "CAMP-1", 600)] if partial else []),
        transaction("UPDATE", id="30", reference="ORD-3", type="SETTLE", status="SETTLED", basket_value=3200),
        transaction(
            "CREATE",
            id="31",
            parent="30",
            reference="R-3",
            type="REFUND",
            status="SETTLED",
            lines=lines,
            basket_value=4000,
            points={"earn": 35, "totalPointsGiven": 35, "totalPointsTaken": 60}
            if partial
            else {"totalPointsTaken": 60},
        ),
    ]
    return notification("POSCONNECT.WALLET.REFUND", operations)


def test_a_partial_refund_is_the_lines_refunded_less_the_discount_given_back():
    context, tracks, _ = translated(refund(partial=True))

    [refunded] = tracks["EE Loyalty Purchase Refunded"]
    properties = refunded["properties"]
    # 2500 refunded, less the net discount given back: 800 unredeemed - 600 redeemed again = 200.
    assert properties["total"] == 23.0
    # 60 points taken back, 35 re-earned on what the customer kept: 25 deducted.
    assert properties["points_deducted"] == 25
    assert properties["order_id"] == "ORD-3"
    assert [m["properties"]["value"] for m in tracks["EE Loyalty Coupon Unredeemed"]] == [8.0]
    assert [m["properties"]["value"] for m in tracks["EE Loyalty Coupon Redeemed"]] == [6.0]
    # The last points operation: 940 after the debit, + 35 = 975.
    assert context["points_balance"] == 975


def test_a_full_refund_is_every_line_and_every_point():
    _, tracks, _ = translated(refund(partial=False))

    properties = tracks["EE Loyalty Purchase Refunded"][0]["properties"]
    # 2500 + 1500 = 4000 pence; nothing given back or re-earned.
    assert (properties["total"], properties["points_deducted"]) == (40.0, 60)


def spend(void: bool) -> dict:
    """SPEND SP-4 of 400 points of an account at 1500 (the points are locked, not yet taken),
    leaving 1100; or its void, giving the 400 back."""
    status = "VOIDED" if void else "ACTIVE"
    return notification(
        "POSCONNECT.WALLET.SPEND.VOID" if void else "POSCONNECT.WALLET.SPEND",
        [
            points("VOID" if void else "LOCK", 400, 1500),
            transaction(
                "UPDATE",
                id="41",
                parent="40",
                reference="SP-4",
                type="SPEND",
                status=status,
                points={"spend": 400, "totalPointsTaken": 400},
                tier_points=7,
                spend={"pointsValue": 400, "balanceAfter": {"current": 1100}},
            ),
        ],
        request_body={"reference": "SP-4", "parentWalletTransactionReference": "ORD-4"},
        resource="/connect/wallet/spend",
    )


def test_a_spend_reports_what_is_left_and_the_accounts_balance_as_trait():
    _, tracks, _ = translated(spend(void=False))

    [spent] = tracks["EE Loyalty Points Spent"]
    assert spent["properties"] == {
        "transaction_reference": "SP-4",
        "original_transaction_reference": "ORD-4",  # the request's parentWalletTransactionReference
        "points_spent": 400,
        "points_balance": 1100,  # spendAdjudicationResults.balanceAfter: what the spend leaves
        "tier": 7,  # results.tiers.points, as EE's library reports "tier"
        "store_location": {"store_id": "store-9", "store_parent_id": "region-9"},
    }
    assert spent["context"]["traits"]["points_balance"] == 1500  # the account's balances.current


def test_a_voided_spend_gives_the_points_back():
    _, tracks, _ = translated(spend(void=True))

    [voided] = tracks["EE Loyalty Points Spend Voided"]
    # balanceAfter 1100 + the 400 points of the void = 1500.
    assert (voided["properties"]["points_balance"], voided["properties"]["voided"]) == (1500, True)


def test_the_flat_enrichment_shape_names_the_customer():
    payload = notification(
        "TIER.MEMBERSHIP.CREATE", [tier("T1", 0, 0, 0)], enrichment={"identities": {"CUSTOMER_ID": "FLAT-1"}}
    )

    context, tracks, _ = translated(payload)

    assert context["identities"] == {"CUSTOMER_ID": "FLAT-1"}
    assert tracks["EE Loyalty Tier Membership Created"][0]["userId"] == "FLAT-1"


def test_another_enriched_wallet_names_the_customer_when_the_events_wallet_has_none():
    payload = notification(
        "TIER.MEMBERSHIP.CREATE",
        [tier("T1", 0, 0, 0)],
        enrichment={
            f"walletEntity_{WALLET}": {"identities": []},
            "walletEntity_1": {"identities": [{"type": "CUSTOMER_ID", "value": "OTHER-1"}]},
        },
    )

    context, _, _ = translated(payload)

    assert context["user_id"] == "OTHER-1"


def test_object_types_in_capitals_are_read_like_camel_case():
    payload = notification(
        "POSCONNECT.WALLET.SETTLE",
        [
            points("EARN", 20, 320, object_type="WALLET_ACCOUNT_TRANSACTION_ENTITY"),
            transaction("UPDATE", id="50", reference="ORD-5", type="SETTLE", status="SETTLED", basket_value=2000),
        ],
    )

    context, _, _ = translated(payload)

    assert (context["points_balance"], context["points_earned"], context["transaction"]["total"]) == (320, 20, 20.0)


def test_a_deleted_wallet_ends_the_membership_for_the_customer_enrichment_names():
    payload = notification(
        "SERVICE.WALLET.DELETE",
        [],
        enrichment={f"walletEntity_{WALLET}": {"identities": copy.deepcopy(IDENTITIES_ACTIVE)}},
    )

    _, tracks, _ = translated(payload)

    [identify] = tracks["identify"]
    assert (identify["userId"], identify["traits"]) == (CUSTOMER, {"loyalty_member": False})


def test_a_deleted_wallet_whose_identities_air_scrubbed_is_ignored_with_the_reason():
    scrubbed = {"type": "CUSTOMER_ID", "value": "DELETED_1_abc_1743704005", "status": "DELETED"}
    payload = notification(
        "SERVICE.WALLET.DELETE",
        [{"objectType": "walletIdentityEntity", "operationType": "DELETE", "objectValue": scrubbed}],
        enrichment={f"walletEntity_{WALLET}": {"identities": []}},
    )

    context, _, translation = translated(payload)

    assert context["identities"] == {}
    assert translation.ignored == "The notification has no CUSTOMER_ID identity, so there is no Segment userId"
    assert translation.requests == []


IDENTITIES_ACTIVE = [{"type": "CUSTOMER_ID", "value": CUSTOMER, "status": "ACTIVE"}]
