"""The atomic operations of an AIR notification, read in one pass: what each reports of the wallet,
its points, tier, coupons, subscription, entitlements and behavioural actions (the context's keys
are documented in :mod:`connectors.kinds.air_segment.parse_out`)."""

from dataclasses import dataclass, field
from typing import Any

from connectors.kinds.air_segment.parse_out_transaction import WalletTransaction
from connectors.kinds.air_segment.parse_out_values import (
    Money,
    as_date,
    as_number,
    as_object,
    as_text,
    object_type_name,
)

_POINTS_CREDITS = frozenset({"EARN", "CREDIT"})
COUPON_EVENTS = ("REDEEM", "UNREDEEM", "CREATE")
_SUBSCRIPTION_KEYS = ("account_id", "campaign_id", "status", "date_start", "date_end")


def account_summary(
    account: dict[str, Any], path: str, value: Any, money: Money, value_type: str = "money"
) -> dict[str, Any]:
    dates = as_object(account.get("dates"), f"{path}.dates")
    return {
        "account_id": as_text(account.get("accountId"), f"{path}.accountId"),
        "campaign_id": as_text(account.get("campaignId"), f"{path}.campaignId"),
        "type": as_text(account.get("type"), f"{path}.type"),
        "client_type": as_text(account.get("clientType"), f"{path}.clientType"),
        "status": as_text(account.get("status"), f"{path}.status"),
        "date_start": as_date(dates.get("start"), f"{path}.dates.start"),
        "date_end": as_date(dates.get("end"), f"{path}.dates.end"),
        "value": value if value_type == "points" else money(value),
        "value_type": value_type,
    }


def _points_totals() -> dict[str, int | float]:
    return {"earned": 0, "spent": 0, "voided": 0, "refund_debited": 0}


@dataclass
class Operations:
    """What the operations read so far report; :meth:`read` takes the next one."""

    money: Money
    wallet_id: str | None = None
    identity_ops: list[dict[str, Any]] = field(default_factory=list)
    transactions: list[WalletTransaction] = field(default_factory=list)
    points_balance: int | float | None = None
    tier: dict[str, Any] | None = None
    tier_path: str = ""
    tier_previous_id: str | None = None
    subscription: dict[str, Any] | None = None
    awarded_points: dict[str, Any] | None = None
    # (action, account, its path, amount) of each e-coupon operation, summarised by ``coupons()``.
    coupon_ops: list[tuple[str, dict[str, Any], str, Any]] = field(default_factory=list)
    entitlements: list[dict[str, Any]] = field(default_factory=list)
    points: dict[str, int | float] = field(default_factory=_points_totals)

    def read(self, index: int, operation: Any) -> None:
        """Take ``atomicOperations[index]``."""
        path = f"atomicOperations[{index}]"
        operation = as_object(operation, path)
        object_type = object_type_name(operation.get("objectType"))
        operation_type = as_text(operation.get("operationType"), f"{path}.operationType") or ""
        path = f"{path}.objectValue"
        value = as_object(operation.get("objectValue"), path)
        account = as_object(value.get("account"), f"{path}.account")
        self.wallet_id = self.wallet_id or as_text(value.get("walletId"), f"{path}.walletId") or as_text(
            account.get("walletId"), f"{path}.account.walletId"
        )
        if object_type == "walletIdentityEntity":
            self.identity_ops.append(value)
        elif object_type == "walletTransactionEntity":
            self.transactions.append(WalletTransaction(operation_type, value, path))
        elif object_type == "tierMembershipEntity":
            self.tier, self.tier_path = value, path
        elif object_type == "tierMembershipTransactionEntity" and value.get("tierIdAfter") is not None:
            self.tier_previous_id = as_text(value.get("tierId"), f"{path}.tierId")
        elif object_type == "walletAccountEntity" and value.get("type") == "POINTS":
            balances = as_object(value.get("balances"), f"{path}.balances")
            self.points_balance = as_number(balances.get("current"), f"{path}.balances.current")
        elif object_type == "walletAccountTransactionEntity" and account:
            self._account_transaction(value, account, path)

    def _account_transaction(self, value: dict[str, Any], account: dict[str, Any], path: str) -> None:
        account_type, action = account.get("type"), value.get("event")
        amount = as_number(value.get("value"), f"{path}.value")
        account_path = f"{path}.account"
        if account_type == "POINTS":
            self._points(account, account_path, action, amount)
        elif account_type == "ECOUPON":
            if action in COUPON_EVENTS:
                self.coupon_ops.append((action, account, account_path, amount))
            if account.get("clientType") == "ENTITLEMENT":
                self.entitlements.append(account_summary(account, account_path, None, self.money))
        elif account_type == "STANDARD_SUBSCRIPTION":
            summary = account_summary(account, account_path, None, self.money)
            self.subscription = {key: summary[key] for key in _SUBSCRIPTION_KEYS}
        elif account_type == "BEHAVIOURAL_ACTION" and action == "REDEEM":
            self.awarded_points = {
                "points": amount,
                "account_id": as_text(account.get("accountId"), f"{account_path}.accountId"),
                "campaign_id": as_text(account.get("campaignId"), f"{account_path}.campaignId"),
            }

    def _points(self, account: dict[str, Any], path: str, action: Any, amount: int | float | None) -> None:
        balances = as_object(account.get("balances"), f"{path}.balances")
        current = as_number(balances.get("current"), f"{path}.balances.current")
        self.points_balance = current if current is not None else self.points_balance
        if action in _POINTS_CREDITS:
            self.points["earned"] += amount or 0
        elif action == "SPEND":
            self.points["spent"] += amount or 0
        elif action == "VOID":
            self.points["voided"] += amount or 0
        elif action == "REFUND_DEBIT":
            self.points["refund_debited"] += amount or 0

    def coupons(self) -> tuple[dict[str, list[dict[str, Any]]], int | float]:
        """The coupons redeemed, unredeemed and created, by action; and the discount a refund gives
        back: money coupons unredeemed minus those redeemed again, in minor units."""
        coupons: dict[str, list[dict[str, Any]]] = {event: [] for event in COUPON_EVENTS}
        points_coupons: set[str] = (
            set().union(*(t.points_coupon_accounts for t in self.transactions)) if self.transactions else set()
        )
        discount_given_back: int | float = 0
        for action, account, path, amount in self.coupon_ops:
            value_type = "points" if str(account.get("accountId")) in points_coupons else "money"
            coupons[action].append(account_summary(account, path, amount, self.money, value_type))
            if value_type == "money" and action in ("UNREDEEM", "REDEEM"):
                discount_given_back += (amount or 0) * (1 if action == "UNREDEEM" else -1)
        return coupons, discount_given_back
