"""The wallet transaction an AIR notification reports, as the event context's ``transaction``.

Which transaction, and how its total, discounts and points are read for each event, is documented
with the context (:mod:`connectors.kinds.air_segment.parse_out`, ``transaction``).
"""

from typing import Any

from connectors.kinds.air_segment.parse_out_values import (
    Money,
    as_date,
    as_list,
    as_number,
    as_object,
    as_text,
)

# The wallet transaction each event reports: (type, statuses, operation types) tried in order,
# the last operation matching the first rule that matches any. EE's library picks the same ones
# (``isWalletTransactionEntity…`` guards in ``src/ee-air/atomic-operations``).
_SETTLED = (("SETTLE", ("SETTLED",), ("UPDATE",)), ("SETTLE", ("SETTLED",), ("CREATE",)))
_FULFILLED = (("FULFIL", ("FULFILLED",), ("CREATE", "UPDATE")),)
_SUBJECT: dict[str, tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]] = {
    "POSCONNECT.WALLET.SETTLE": _SETTLED,
    "POSCONNECT.WALLET.FULFIL initial": (("SETTLE", ("FULFILLING",), ("UPDATE", "CREATE")),),
    "POSCONNECT.WALLET.FULFIL middle": _FULFILLED,
    "POSCONNECT.WALLET.FULFIL final": _FULFILLED,
    "POSCONNECT.WALLET.REFUND": (("REFUND", ("SETTLED",), ("CREATE", "UPDATE")),),
    "POSCONNECT.WALLET.SPEND": (("SPEND", ("ACTIVE", "SETTLED"), ("UPDATE",)), ("SPEND", (), ("CREATE",))),
    "POSCONNECT.WALLET.SPEND.VOID": (("SPEND", ("VOIDED",), ("UPDATE",)), ("SPEND", (), ("UPDATE",))),
}

class WalletTransaction:
    """One ``walletTransactionEntity`` operation, its values read and type-checked once."""

    def __init__(self, operation_type: str, value: dict[str, Any], path: str):
        self.operation_type = operation_type
        self.id = as_text(value.get("walletTransactionId"), f"{path}.walletTransactionId")
        self.parent_id = as_text(value.get("parentWalletTransactionId"), f"{path}.parentWalletTransactionId")
        self.reference = as_text(value.get("reference"), f"{path}.reference")
        self.type = as_text(value.get("type"), f"{path}.type")
        self.status = as_text(value.get("status"), f"{path}.status")
        self.date = as_date(value.get("transactionDateTime"), f"{path}.transactionDateTime")
        location = as_object(value.get("location"), f"{path}.location")
        store = as_text(location.get("storeId"), f"{path}.location.storeId")
        parent_store = as_text(location.get("storeParentId"), f"{path}.location.storeParentId")
        self.store_location = (
            None if store is None and parent_store is None else {"store_id": store, "store_parent_id": parent_store}
        )
        basket = as_object(value.get("basket"), f"{path}.basket")
        self.lines = [
            self._line(as_object(item, f"{path}.basket.contents[{index}]"), f"{path}.basket.contents[{index}]")
            for index, item in enumerate(as_list(basket.get("contents"), f"{path}.basket.contents"))
        ]
        summary_path = f"{path}.basket.summary"
        summary = as_object(basket.get("summary"), summary_path)
        self.basket_value = as_number(summary.get("totalBasketValue"), f"{summary_path}.totalBasketValue")
        discounts = as_object(summary.get("totalDiscountAmount"), f"{summary_path}.totalDiscountAmount")
        self.discounts = sum(
            as_number(amount, f"{summary_path}.totalDiscountAmount.{category}") or 0
            for category, amount in discounts.items()
        )
        results = as_object(summary.get("results"), f"{summary_path}.results")
        points = as_object(results.get("points"), f"{summary_path}.results.points")
        self.points = {
            key: as_number(points.get(key), f"{summary_path}.results.points.{key}") or 0
            for key in ("spend", "earn", "totalPointsGiven", "totalPointsTaken")
        }
        tiers = as_object(results.get("tiers"), f"{summary_path}.results.tiers")
        self.tier_points = as_number(tiers.get("points"), f"{summary_path}.results.tiers.points") or 0
        spend_path = f"{summary_path}.spendAdjudicationResults"
        spend = as_object(summary.get("spendAdjudicationResults"), spend_path)
        self.spend_points_value = as_number(spend.get("pointsValue"), f"{spend_path}.pointsValue") or 0
        balance_after = as_object(spend.get("balanceAfter"), f"{spend_path}.balanceAfter")
        self.balance_after = as_number(balance_after.get("current"), f"{spend_path}.balanceAfter.current")
        self.points_coupon_accounts = _points_coupon_accounts(summary, basket, summary_path, path)

    @staticmethod
    def _line(item: dict[str, Any], path: str) -> dict[str, Any]:
        return {
            "product_id": as_text(item.get("upc"), f"{path}.upc"),
            "sku": as_text(item.get("sku"), f"{path}.sku") or as_text(item.get("upc"), f"{path}.upc"),
            "name": as_text(item.get("description"), f"{path}.description"),
            "price": as_number(item.get("itemUnitCost"), f"{path}.itemUnitCost"),
            "quantity": as_number(item.get("itemUnitCount"), f"{path}.itemUnitCount"),
            "after_discount": as_number(item.get("totalUnitCostAfterDiscount"), f"{path}.totalUnitCostAfterDiscount"),
        }

    def lines_total(self) -> int | float:
        return sum(line["after_discount"] or 0 for line in self.lines)


def _points_coupon_accounts(summary: dict[str, Any], basket: dict[str, Any], summary_path: str, path: str) -> set[str]:
    """Coupon accounts whose redemption credited points: AIR's adjudication results (basket-wide
    and per line) pair the coupon's ``redeem`` with a ``credit`` of the same instance."""
    summary_results = f"{summary_path}.adjudicationResults"
    results = [(summary_results, as_list(summary.get("adjudicationResults"), summary_results))]
    for index, item in enumerate(as_list(basket.get("contents"), f"{path}.basket.contents")):
        item_path = f"{path}.basket.contents[{index}].adjudicationResults"
        results.append((item_path, as_list(as_object(item, item_path).get("adjudicationResults"), item_path)))
    redeemed: dict[str, str] = {}
    credited: set[str] = set()
    for list_path, entries in results:
        for index, entry in enumerate(entries):
            entry = as_object(entry, f"{list_path}[{index}]")
            kind = entry.get("type")
            instance = as_text(entry.get("instanceId"), f"{list_path}[{index}].instanceId")
            if kind == "redeem":
                account = as_text(entry.get("targetedAccountId"), f"{list_path}[{index}].targetedAccountId")
                if account and instance:
                    redeemed[account] = instance
            elif kind == "credit" and instance:
                credited.add(instance)
    return {account for account, instance in redeemed.items() if instance in credited}


def fulfilment_stage(event_name: str, request_body: Any) -> str | None:
    if event_name != "POSCONNECT.WALLET.FULFIL":
        return None
    body = request_body if isinstance(request_body, dict) else {}
    if not body.get("basket"):
        return "initial"
    return "final" if body.get("finalise") else "middle"


def _subject(
    transactions: list[WalletTransaction], rules: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]
) -> WalletTransaction | None:
    for kind, statuses, operations in rules:
        for transaction in reversed(transactions):
            if (
                transaction.type == kind
                and (not statuses or transaction.status in statuses)
                and transaction.operation_type in operations
            ):
                return transaction
    return None


def _order_of(current: WalletTransaction, transactions: list[WalletTransaction]) -> WalletTransaction | None:
    """The order (SETTLE transaction) ``current`` belongs to: its parent, else the last SETTLE."""
    if current.parent_id and current.parent_id != "0":
        parent = next((t for t in reversed(transactions) if t.id == current.parent_id and t is not current), None)
        if parent is not None:
            return parent
    return next((t for t in reversed(transactions) if t.type == "SETTLE" and t is not current), None)


def transaction_context(
    event: str,
    stage: str | None,
    transactions: list[WalletTransaction],
    request_body: Any,
    discount_given_back: int | float,
    money: Money,
) -> dict[str, Any] | None:
    rules = _SUBJECT.get(f"{event} {stage}" if stage else event)
    current = _subject(transactions, rules) if rules else (transactions[-1] if transactions else None)
    if current is None:
        return None
    order = None if current.type == "SETTLE" else _order_of(current, transactions)
    total = current.basket_value
    discounts = current.discounts
    points_earned = current.points["totalPointsGiven"]
    points_deducted = None
    points_balance = current.balance_after
    if current.type == "FULFIL":
        total = current.lines_total()
        if stage == "middle" and order is not None:
            discounts, points_earned = order.discounts, order.points["totalPointsGiven"]
        else:
            points_earned = current.points["earn"]
    elif current.type == "REFUND":
        total = current.lines_total() - discount_given_back
        points_deducted = current.points["totalPointsTaken"] - current.points["totalPointsGiven"]
    elif current.type == "SPEND" and event.endswith(".VOID") and points_balance is not None:
        points_balance += current.spend_points_value
    original_reference = order.reference if order is not None else None
    if original_reference is None and isinstance(request_body, dict):
        original_reference = as_text(
            request_body.get("parentWalletTransactionReference"), "request.body.parentWalletTransactionReference"
        )
    store_location = current.store_location or (order.store_location if order is not None else None)
    return {
        "reference": current.reference,
        "original_reference": original_reference,
        "type": current.type,
        "status": current.status,
        "date": current.date,
        "products": [
            {
                "product_id": line["product_id"],
                "sku": line["sku"],
                "name": line["name"],
                "price": money(line["price"]),
                "quantity": line["quantity"],
            }
            for line in current.lines
        ],
        "total": money(total),
        "discounts": money(discounts),
        "points_earned": points_earned,
        "points_deducted": points_deducted,
        "points_spent": current.points["spend"],
        "points_balance": points_balance,
        "tier_points": current.tier_points,
        "store_location": store_location,
    }
