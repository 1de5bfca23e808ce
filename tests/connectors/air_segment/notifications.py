"""Small AIR notifications of every shape, built on AIR's envelope (headers, request, response,
atomicOperations, enrichmentData) with only the fields a test states a value for.

Amounts are minor units, as AIR sends them; each builder names the AIR field it fills.
"""

import json
from typing import Any

WALLET = "700000001"
POINTS_ACCOUNT = "800000001"
CUSTOMER = "CUST-7001"
IDENTITIES = [
    {"type": "CUSTOMER_ID", "value": CUSTOMER, "status": "ACTIVE"},
    {"type": "CARD", "value": "6330000000007001", "status": "ACTIVE"},
]


def notification(
    event_name: str,
    operations: list[dict],
    *,
    event_id: str = "11111111-2222-4333-8444-555555555555",
    request_body: Any = None,
    enrichment: Any = "default",
    resource: str = "/connect/wallet/settle",
) -> dict:
    return {
        "headers": {
            "eventName": event_name,
            "eventDate": "2025-06-01T10:00:00.000000",
            "eesEventId": event_id,
            "eesMasterEventId": "MASTER-1",
        },
        "request": {
            "resource": resource,
            "method": "POST",
            "body": None if request_body is None else json.dumps(request_body),
        },
        "response": {"code": 200, "body": None},
        "atomicOperations": operations,
        "enrichmentData": {f"walletEntity_{WALLET}": {"identities": IDENTITIES}}
        if enrichment == "default"
        else enrichment,
    }


def operation(object_type: str, operation_type: str, value: dict) -> dict:
    return {"objectType": object_type, "operationType": operation_type, "objectValue": value}


def line(upc: str, unit_cost: int, count: int, after_discount: int, adjudication: list | None = None) -> dict:
    """One basket line: ``itemUnitCost`` times ``itemUnitCount``, ``totalUnitCostAfterDiscount``."""
    return {
        "upc": upc,
        "sku": None,
        "description": f"Product {upc}",
        "itemUnitCost": unit_cost,
        "itemUnitCount": count,
        "totalUnitCost": unit_cost * count,
        "totalUnitCostAfterDiscount": after_discount,
        "adjudicationResults": adjudication,
    }


def transaction(
    operation_type: str,
    *,
    id: str,
    reference: str,
    type: str,
    status: str,
    parent: str = "0",
    lines: list[dict] | None = None,
    basket_value: int | None = None,
    discounts: dict | None = None,
    points: dict | None = None,
    tier_points: int | None = None,
    spend: dict | None = None,
    adjudication: list | None = None,
    store: tuple[str, str] | None = ("store-9", "region-9"),
) -> dict:
    """A ``walletTransactionEntity``; with no summary field given its basket has no summary."""
    summary = None
    if any(value is not None for value in (basket_value, discounts, points, tier_points, spend, adjudication)):
        summary = {
            "totalBasketValue": basket_value,
            "totalDiscountAmount": discounts,
            "spendAdjudicationResults": spend,
            "adjudicationResults": adjudication,
            "results": {
                "points": {"spend": 0, "earn": 0, "credit": 0, "totalPointsGiven": 0, "totalPointsTaken": 0}
                | (points or {}),
                "tiers": None if tier_points is None else {"points": tier_points, "spend": 0, "transactions": 0},
            },
        }
    return operation(
        "walletTransactionEntity",
        operation_type,
        {
            "walletTransactionId": id,
            "parentWalletTransactionId": parent,
            "walletId": WALLET,
            "reference": reference,
            "transactionDateTime": "2025-06-01T10:00:00+00:00",
            "type": type,
            "status": status,
            "basket": {"contents": lines or [], "summary": summary},
            "location": None if store is None else {"storeId": store[0], "storeParentId": store[1]},
        },
    )


def points(
    event: str,
    value: int,
    balance: int,
    operation_type: str = "UPDATE",
    object_type: str = "walletAccountTransactionEntity",
) -> dict:
    """A points account transaction: ``event`` of ``value`` points, the account's balance after it."""
    return operation(
        object_type,
        operation_type,
        {
            "accountId": POINTS_ACCOUNT,
            "event": event,
            "value": value,
            "account": {
                "accountId": POINTS_ACCOUNT,
                "walletId": WALLET,
                "campaignId": "900000001",
                "type": "POINTS",
                "clientType": "RETAILPOINTS",
                "status": "ACTIVE",
                "balances": {"current": balance},
            },
        },
    )


def coupon(event: str, account_id: str, campaign_id: str, value: int, operation_type: str = "UPDATE") -> dict:
    """An e-coupon account transaction (``REDEEM``, ``UNREDEEM``, ``CREATE``) of ``value``."""
    return operation(
        "walletAccountTransactionEntity",
        operation_type,
        {
            "accountId": account_id,
            "event": event,
            "value": value,
            "account": {
                "accountId": account_id,
                "walletId": WALLET,
                "campaignId": campaign_id,
                "type": "ECOUPON",
                "clientType": "OFFER",
                "status": "USED",
                "dates": {"start": "2025-01-01T00:00:00+00:00", "end": "2025-12-31T23:59:00+00:00"},
            },
        },
    )


def points_coupon_adjudication(coupon_account: str, instance: str, awarded: int) -> list[dict]:
    """AIR's adjudication of a coupon that awards points: its ``redeem`` and the ``credit`` of the
    same instance to the points account."""
    return [
        {"type": "redeem", "instanceId": instance, "value": awarded, "targetedAccountId": coupon_account},
        {
            "type": "credit",
            "instanceId": instance,
            "balances": {"current": awarded},
            "targetedAccountId": POINTS_ACCOUNT,
        },
    ]


def tier(tier_id: str, points: int, spend: int, transactions: int) -> dict:
    return operation(
        "tierMembershipEntity",
        "UPDATE",
        {
            "tierId": tier_id,
            "walletId": WALLET,
            "balances": {"points": points, "spend": spend, "transactions": transactions},
            "tierBalancesResetDate": "2026-01-31T23:59:59+00:00",
        },
    )
