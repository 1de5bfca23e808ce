"""AIR event notification → a flat, documented event context (spec/segment-air.md §4.6).

The context is what mapping rules read (JMESPath) and what the admin shows for a stored event. Every
key is always present (``null``, ``[]`` when the notification does not carry it). The values follow
how Eagle Eye's own connector library (``integration-events-common``, ``src/ee-air``) reads each
notification; where this module differs, the docstring of the value says why.

``event_name``
    ``headers.eventName``, e.g. ``POSCONNECT.WALLET.SETTLE``.
``event_id``, ``master_event_id``
    ``headers.eesEventId`` and ``headers.eesMasterEventId``. AIR gives both to *every* notification
    one API call produces, so neither identifies a notification alone (see ``notification_key``).
``occurred_at``
    ``headers.eventDate`` read as UTC (AIR sends no zone), ISO 8601 with milliseconds and ``Z``.
``resource``
    ``request.resource``, the AIR API path whose call raised the event.
``wallet_id``
    the wallet the event is about: the first ``walletId`` in the atomic operations, else the one in
    ``request.resource`` (``/wallet/<id>/…``), else the only ``enrichmentData`` wallet.
``identity_type``, ``user_id``
    the connector's identity type and the value of the wallet identity of that type: the Segment
    userId. ``null`` when the notification carries no such identity (the event is then ignored).
``identities``
    every identity by type, ``{"CUSTOMER_ID": "…", "CARD": "…"}``, from the first of:
    ``enrichmentData.walletEntity_<wallet_id>.identities``, any other ``walletEntity_<id>`` entry,
    the flat ``enrichmentData.identities`` object, the ``walletIdentityEntity`` operations.
``currency``
    the connector's currency (AIR notifications carry none).
``loyalty_member``
    ``false`` for ``SERVICE.WALLET.DELETE`` (the wallet is gone), else ``true``.
``points_balance``
    the points account's balance: ``balances.current`` of the *last* points account any operation
    reports (a SETTLE that completes a points spend reports the spend's account last, so this is
    the balance after both).
``tier_id``, ``tier_previous_id``, ``tier_balances_points``, ``tier_balances_spend``,
``tier_balances_transactions``, ``tier_balances_reset_date``
    from the last ``tierMembershipEntity``; ``tier_previous_id`` is the tier before a move.
    Spend is money.
``transaction``
    the wallet transaction the event reports, chosen by event (``_SUBJECT``), or ``null``::

        {"reference", "original_reference", "type", "status", "date",
         "products": [{"product_id", "sku", "name", "price", "quantity"}],
         "total", "discounts", "points_earned", "points_deducted", "points_spent",
         "points_balance", "tier_points",
         "store_location": {"store_id", "store_parent_id"} | null}

    - SETTLE, and the initial FULFIL (the order moved to FULFILLING): the order's ``SETTLE``
      transaction; ``total`` its basket value after discounts, ``discounts`` the sum of its
      ``totalDiscountAmount`` categories, ``points_earned`` its ``totalPointsGiven``.
    - A middle or final FULFIL: the new ``FULFIL`` transaction; ``total`` the sum of the fulfilled
      lines after discount (``totalUnitCostAfterDiscount``), not the whole order's basket.
      A middle FULFIL carries no summary of its own, so ``discounts`` and ``points_earned`` are the
      order's; a final one has its own (``points_earned`` is its ``earn``).
    - REFUND: the new ``REFUND`` transaction; ``total`` the refunded lines after discount minus the
      net discount given back (money coupons unredeemed minus those redeemed again, as in a partial
      refund), ``points_deducted`` the points taken minus the points re-earned in the same refund.
    - SPEND and SPEND.VOID: the ``SPEND`` transaction; ``points_spent`` its ``results.points.spend``,
      ``points_balance`` what is left after the spend (``spendAdjudicationResults.balanceAfter``;
      for a void the spent points are back: plus ``pointsValue``), ``tier_points`` its
      ``results.tiers.points`` (0 when none), as EE's library reports ``tier``.

    ``original_reference`` is the reference of the order the transaction belongs to (its parent,
    else the order's SETTLE in the notification, else the request's
    ``parentWalletTransactionReference``).
``coupons_redeemed``, ``coupons_unredeemed``, ``coupons_awarded``
    e-coupon accounts redeemed (``REDEEM``), unredeemed (``UNREDEEM``) and created (``CREATE``) by
    the event: ``[{"account_id", "campaign_id", "type", "client_type", "status", "date_start",
    "date_end", "value", "value_type"}]``. ``value_type`` is ``points`` for a coupon whose
    redemption credits points (AIR's adjudication pairs its ``redeem`` with a ``credit`` to a points
    account): ``value`` is then a number of points, never converted as money; else ``money``.
``points_earned``, ``points_spent``, ``points_voided``, ``points_refund_debited``
    points credited (``EARN``, ``CREDIT``), spent, given back by a void, and taken back by a refund
    (``REFUND_DEBIT``) in this event's points operations.
``subscription``
    the ``STANDARD_SUBSCRIPTION`` account touched, ``{"account_id", "campaign_id", "status",
    "date_start", "date_end"}``, or ``null``.
``entitlements``
    the entitlement accounts touched (created with a plan, cancelled with it), coupon-shaped.
``awarded_points``
    for a behavioural action: ``{"points", "account_id", "campaign_id"}`` of the redeemed action
    account, or ``null``.
``wallet_transaction_reference``
    the reference of the wallet transaction: for SERVICE.TRIGGER the ``walletTransaction.reference``
    the caller sent (so a reward EE Connect requested links back to its ledger entry), else the
    transaction's own reference or the one in AIR's response; ``null`` when there is none.
``fulfilment_stage``
    for ``POSCONNECT.WALLET.FULFIL``: ``initial`` when the request has no basket (AIR only moves the
    order to FULFILLING), ``final`` when the request says ``finalise: true``, ``middle`` otherwise;
    ``null`` for every other event.

Money: AIR amounts are in minor units. When the connector's ``amounts_in_minor_units`` is on (the
default) they are divided by 10 to the power of the currency's exponent (100 for GBP, 1 for JPY);
sums are taken in minor units first. Points are never divided. Dates are ISO 8601 UTC with
milliseconds and ``Z``, as Segment stores them.

Types: a value AIR sends as ``null`` is absent; a value of the wrong type (a string where an object
or an amount belongs) is refused with ``PayloadInvalid`` naming its path.
"""

import hashlib
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, cast

from babel.numbers import get_currency_precision

from connectors.kinds.base import ConnectorConfig, FieldError, IncomingEvent, PayloadInvalid

_WALLET_IN_RESOURCE = re.compile(r"/wallet/(\d+)")
_POINTS_CREDITS = frozenset({"EARN", "CREDIT"})
_COUPON_EVENTS = ("REDEEM", "UNREDEEM", "CREATE")
# Longest eesEventId accepted: AIR's are UUIDs (36 characters); the key adds 33 and must fit the
# 200-character source id column without truncation.
MAX_EVENT_ID_CHARS = 100
WALLET_DELETED = "SERVICE.WALLET.DELETE"
# A deleted wallet's identities come with this status and their values replaced
# (``DELETED_<identityId>_…``): they name nobody, so they are not identities of the customer.
_SCRUBBED = "DELETED"

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

Money = Callable[[Any], Any]


@lru_cache(maxsize=64)
def _divisor(currency: str) -> int:
    divisor: int = 10 ** get_currency_precision(currency)  # int ** int is typed Any (a float when negative)
    return divisor


def money_converter(config: ConnectorConfig) -> Money:
    """The function turning an AIR amount (minor units) into currency units for this connector."""
    currency = config.settings.get("currency") or "USD"
    divisor = _divisor(currency) if config.settings.get("amounts_in_minor_units", True) else 1
    if divisor == 1:
        return lambda amount: amount
    return lambda amount: None if amount is None else amount / divisor


@lru_cache(maxsize=4096)
def iso_utc(value: str | None) -> str | None:
    """An AIR date (with an offset, or none meaning UTC) as ISO 8601 UTC with milliseconds and Z."""
    if not value:
        return None
    moment = datetime.fromisoformat(value)
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _invalid(path: str, message: str) -> PayloadInvalid:
    return PayloadInvalid([FieldError(path, message)])


def _obj(value: Any, path: str) -> dict[str, Any]:
    """An object, ``{}`` for null or ``[]`` (AIR's PHP encodes an empty map as ``[]``); anything
    else is refused."""
    if value is None or value == []:
        return {}
    if not isinstance(value, dict):
        raise _invalid(path, "Must be an object.")
    return value


def _list(value: Any, path: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _invalid(path, "Must be a list.")
    return value


def _num(value: Any, path: str) -> int | float | None:
    """An amount or a count: a JSON number, or null."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _invalid(path, "Must be a number.")
    return cast(int | float, value)  # a number, as checked above


def _text(value: Any, path: str) -> str | None:
    """An id or a name: a string (AIR sends some ids as numbers: kept as their digits), or null."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _invalid(path, "Must be a string.")
    return str(value)


def _date(value: Any, path: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise _invalid(path, "Must be a date and time string.")
    try:
        return iso_utc(value)
    except ValueError:
        raise _invalid(path, "Must be a date and time such as 2025-01-29T19:40:48+00:00.") from None


def _json_loads(value: Any) -> Any:
    """AIR sends request bodies as strings, sometimes JSON-encoded twice."""
    for _ in range(2):
        if not isinstance(value, str):
            return value
        try:
            value = json.loads(value)
        except ValueError:
            return None
    return value


def _object_type(name: Any) -> str:
    """``WALLET_ACCOUNT_TRANSACTION_ENTITY`` → ``walletAccountTransactionEntity`` (AIR spells both)."""
    if not isinstance(name, str) or "_" not in name:
        return name if isinstance(name, str) else ""
    first, *rest = name.lower().split("_")
    return first + "".join(part.capitalize() for part in rest)


def notification_key(payload: dict[str, Any]) -> str:
    """What makes two deliveries of AIR notifications the *same* notification.

    AIR gives one ``eesEventId`` to every notification of one API call: a wallet-accounts-create
    that opens three campaign accounts sends ``SERVICE.WALLET.ACCOUNTS.CREATE`` and three
    ``WALLET.ACCOUNT.CREATE.CAMPAIGN``, each about another account, all with that id. What differs
    between them is the event name and the atomic operations (the objects the notification
    reports); an AIR retry sends the same notification again, with the same operations. So the key
    is the id plus a hash of the event name and the canonical operations. Enrichment data is left
    out: it is looked up at send time and could differ between a notification and its retry.
    """
    headers = payload["headers"]
    digest = hashlib.sha256(
        json.dumps(
            [headers["eventName"], payload.get("atomicOperations") or []],
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
        ).encode()
    ).hexdigest()
    return f"{headers['eesEventId']}:{digest[:32]}"


def _envelope_check(payload: Any) -> tuple[dict[str, Any], datetime | None]:
    if not isinstance(payload, dict):
        raise _invalid("", "An AIR notification must be a JSON object.")
    headers = payload.get("headers")
    if not isinstance(headers, dict):
        raise _invalid("headers", "Required: the AIR notification headers.")
    errors = []
    for key in ("eventName", "eesEventId"):
        if not isinstance(headers.get(key), str) or not headers[key].strip():
            errors.append(FieldError(f"headers.{key}", "Required, a non-empty string."))
    if isinstance(headers.get("eesEventId"), str) and len(headers["eesEventId"]) > MAX_EVENT_ID_CHARS:
        errors.append(FieldError("headers.eesEventId", f"At most {MAX_EVENT_ID_CHARS} characters."))
    if isinstance(headers.get("eventName"), str) and len(headers["eventName"]) > 120:
        errors.append(FieldError("headers.eventName", "At most 120 characters."))
    occurred_at = None
    if headers.get("eventDate") is not None:
        try:
            occurred_at = datetime.fromisoformat(headers["eventDate"])
        except (TypeError, ValueError):
            errors.append(
                FieldError("headers.eventDate", "Must be a date and time such as 2025-01-29T19:40:48.965235.")
            )
    for key in ("atomicOperations",):
        if not isinstance(payload.get(key, []), list | None):
            errors.append(FieldError(key, "Must be a list."))
    for key in ("request", "response", "enrichmentData"):
        if not isinstance(payload.get(key), dict | None) and payload.get(key) != []:
            errors.append(FieldError(key, "Must be an object."))
    if errors:
        raise PayloadInvalid(errors)
    if occurred_at is not None:
        occurred_at = (
            occurred_at.replace(tzinfo=UTC) if occurred_at.tzinfo is None else occurred_at.astimezone(UTC)
        )
    return headers, occurred_at


def _account_summary(
    account: dict[str, Any], path: str, value: Any, money: Money, value_type: str = "money"
) -> dict[str, Any]:
    dates = _obj(account.get("dates"), f"{path}.dates")
    return {
        "account_id": _text(account.get("accountId"), f"{path}.accountId"),
        "campaign_id": _text(account.get("campaignId"), f"{path}.campaignId"),
        "type": _text(account.get("type"), f"{path}.type"),
        "client_type": _text(account.get("clientType"), f"{path}.clientType"),
        "status": _text(account.get("status"), f"{path}.status"),
        "date_start": _date(dates.get("start"), f"{path}.dates.start"),
        "date_end": _date(dates.get("end"), f"{path}.dates.end"),
        "value": value if value_type == "points" else money(value),
        "value_type": value_type,
    }


class _Transaction:
    """One ``walletTransactionEntity`` operation, its values read and type-checked once."""

    def __init__(self, operation_type: str, value: dict[str, Any], path: str):
        self.operation_type = operation_type
        self.id = _text(value.get("walletTransactionId"), f"{path}.walletTransactionId")
        self.parent_id = _text(value.get("parentWalletTransactionId"), f"{path}.parentWalletTransactionId")
        self.reference = _text(value.get("reference"), f"{path}.reference")
        self.type = _text(value.get("type"), f"{path}.type")
        self.status = _text(value.get("status"), f"{path}.status")
        self.date = _date(value.get("transactionDateTime"), f"{path}.transactionDateTime")
        location = _obj(value.get("location"), f"{path}.location")
        store = _text(location.get("storeId"), f"{path}.location.storeId")
        parent_store = _text(location.get("storeParentId"), f"{path}.location.storeParentId")
        self.store_location = (
            None if store is None and parent_store is None else {"store_id": store, "store_parent_id": parent_store}
        )
        basket = _obj(value.get("basket"), f"{path}.basket")
        self.lines = [
            self._line(_obj(item, f"{path}.basket.contents[{index}]"), f"{path}.basket.contents[{index}]")
            for index, item in enumerate(_list(basket.get("contents"), f"{path}.basket.contents"))
        ]
        summary_path = f"{path}.basket.summary"
        summary = _obj(basket.get("summary"), summary_path)
        self.basket_value = _num(summary.get("totalBasketValue"), f"{summary_path}.totalBasketValue")
        discounts = _obj(summary.get("totalDiscountAmount"), f"{summary_path}.totalDiscountAmount")
        self.discounts = sum(
            _num(amount, f"{summary_path}.totalDiscountAmount.{category}") or 0
            for category, amount in discounts.items()
        )
        results = _obj(summary.get("results"), f"{summary_path}.results")
        points = _obj(results.get("points"), f"{summary_path}.results.points")
        self.points = {
            key: _num(points.get(key), f"{summary_path}.results.points.{key}") or 0
            for key in ("spend", "earn", "totalPointsGiven", "totalPointsTaken")
        }
        tiers = _obj(results.get("tiers"), f"{summary_path}.results.tiers")
        self.tier_points = _num(tiers.get("points"), f"{summary_path}.results.tiers.points") or 0
        spend_path = f"{summary_path}.spendAdjudicationResults"
        spend = _obj(summary.get("spendAdjudicationResults"), spend_path)
        self.spend_points_value = _num(spend.get("pointsValue"), f"{spend_path}.pointsValue") or 0
        balance_after = _obj(spend.get("balanceAfter"), f"{spend_path}.balanceAfter")
        self.balance_after = _num(balance_after.get("current"), f"{spend_path}.balanceAfter.current")
        self.points_coupon_accounts = _points_coupon_accounts(summary, basket, summary_path, path)

    @staticmethod
    def _line(item: dict[str, Any], path: str) -> dict[str, Any]:
        return {
            "product_id": _text(item.get("upc"), f"{path}.upc"),
            "sku": _text(item.get("sku"), f"{path}.sku") or _text(item.get("upc"), f"{path}.upc"),
            "name": _text(item.get("description"), f"{path}.description"),
            "price": _num(item.get("itemUnitCost"), f"{path}.itemUnitCost"),
            "quantity": _num(item.get("itemUnitCount"), f"{path}.itemUnitCount"),
            "after_discount": _num(item.get("totalUnitCostAfterDiscount"), f"{path}.totalUnitCostAfterDiscount"),
        }

    def lines_total(self) -> int | float:
        return sum(line["after_discount"] or 0 for line in self.lines)


def _points_coupon_accounts(summary: dict[str, Any], basket: dict[str, Any], summary_path: str, path: str) -> set[str]:
    """Coupon accounts whose redemption credited points: AIR's adjudication results (basket-wide
    and per line) pair the coupon's ``redeem`` with a ``credit`` of the same instance."""
    summary_results = f"{summary_path}.adjudicationResults"
    results = [(summary_results, _list(summary.get("adjudicationResults"), summary_results))]
    for index, item in enumerate(_list(basket.get("contents"), f"{path}.basket.contents")):
        item_path = f"{path}.basket.contents[{index}].adjudicationResults"
        results.append((item_path, _list(_obj(item, item_path).get("adjudicationResults"), item_path)))
    redeemed: dict[str, str] = {}
    credited: set[str] = set()
    for list_path, entries in results:
        for index, entry in enumerate(entries):
            entry = _obj(entry, f"{list_path}[{index}]")
            kind = entry.get("type")
            instance = _text(entry.get("instanceId"), f"{list_path}[{index}].instanceId")
            if kind == "redeem":
                account = _text(entry.get("targetedAccountId"), f"{list_path}[{index}].targetedAccountId")
                if account and instance:
                    redeemed[account] = instance
            elif kind == "credit" and instance:
                credited.add(instance)
    return {account for account, instance in redeemed.items() if instance in credited}


def _fulfilment_stage(event_name: str, request_body: Any) -> str | None:
    if event_name != "POSCONNECT.WALLET.FULFIL":
        return None
    body = request_body if isinstance(request_body, dict) else {}
    if not body.get("basket"):
        return "initial"
    return "final" if body.get("finalise") else "middle"


def _subject(
    transactions: list[_Transaction], rules: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]
) -> _Transaction | None:
    for kind, statuses, operations in rules:
        for transaction in reversed(transactions):
            if (
                transaction.type == kind
                and (not statuses or transaction.status in statuses)
                and transaction.operation_type in operations
            ):
                return transaction
    return None


def _order_of(current: _Transaction, transactions: list[_Transaction]) -> _Transaction | None:
    """The order (SETTLE transaction) ``current`` belongs to: its parent, else the last SETTLE."""
    if current.parent_id and current.parent_id != "0":
        parent = next((t for t in reversed(transactions) if t.id == current.parent_id and t is not current), None)
        if parent is not None:
            return parent
    return next((t for t in reversed(transactions) if t.type == "SETTLE" and t is not current), None)


def _transaction(
    event: str,
    stage: str | None,
    transactions: list[_Transaction],
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
        original_reference = _text(
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


def _reference_of(request_body: Any, transaction: dict[str, Any] | None, payload: dict[str, Any]) -> str | None:
    """The wallet transaction reference: what the caller sent, else the transaction's, else AIR's reply."""
    sent = request_body.get("walletTransaction") if isinstance(request_body, dict) else None
    if isinstance(sent, dict) and isinstance(sent.get("reference"), str) and sent["reference"]:
        return cast(str, sent["reference"])  # text, as checked above
    if transaction and transaction.get("reference"):
        return cast(str, transaction["reference"])  # _transaction reads it as text
    reply = _obj(payload.get("response"), "response").get("body")
    reply = _json_loads(reply)
    return _text(reply.get("reference"), "response.body.reference") if isinstance(reply, dict) else None


def _wallet_id(found: str | None, payload: dict[str, Any], enrichment: dict[str, Any]) -> str | None:
    if found:
        return found
    resource = _obj(payload.get("request"), "request").get("resource")
    match = _WALLET_IN_RESOURCE.search(resource) if isinstance(resource, str) else None
    if match:
        return match.group(1)
    wallets = [key for key in enrichment if key.startswith("walletEntity_")]
    if len(wallets) == 1:
        return wallets[0].removeprefix("walletEntity_")
    return None


def _identities_of(entries: list[Any], path: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for index, identity in enumerate(entries):
        identity = _obj(identity, f"{path}[{index}]")
        kind = _text(identity.get("type"), f"{path}[{index}].type")
        value = _text(identity.get("value"), f"{path}[{index}].value")
        if kind and value is not None and kind not in found and identity.get("status") != _SCRUBBED:
            found[kind] = value
    return found


def _identities(
    enrichment: dict[str, Any], wallet_id: str | None, identity_ops: list[dict[str, Any]]
) -> dict[str, str]:
    """The first source that has any identity: the event's own wallet, any other enriched wallet,
    the flat ``identities`` object, the wallet identity operations."""
    own = f"walletEntity_{wallet_id}"
    wallets = [own] if own in enrichment else []
    wallets += sorted(key for key in enrichment if key.startswith("walletEntity_") and key != own)
    for key in wallets:
        entry = _obj(enrichment[key], f"enrichmentData.{key}")
        path = f"enrichmentData.{key}.identities"
        found = _identities_of(_list(entry.get("identities"), path), path)
        if found:
            return found
    flat = _obj(enrichment.get("identities"), "enrichmentData.identities")
    found = {
        kind: value
        for kind, raw in flat.items()
        if (value := _text(raw, f"enrichmentData.identities.{kind}")) is not None
    }
    if found:
        return found
    return _identities_of(identity_ops, "atomicOperations[walletIdentityEntity].objectValue")


def notification_parse(payload: Any, config: ConnectorConfig) -> IncomingEvent:
    """Validate an AIR notification and build its event context (module docstring)."""
    headers, occurred_at = _envelope_check(payload)
    money = money_converter(config)
    event_name = headers["eventName"]
    wallet_id = None
    identity_ops: list[dict[str, Any]] = []
    transactions: list[_Transaction] = []
    points_balance = None
    tier: dict[str, Any] | None = None
    tier_path = ""
    tier_previous_id = None
    subscription: dict[str, Any] | None = None
    awarded_points: dict[str, Any] | None = None
    coupons: dict[str, list[dict[str, Any]]] = {event: [] for event in _COUPON_EVENTS}
    coupon_ops: list[tuple[str, dict[str, Any], str, Any]] = []
    entitlements: list[dict[str, Any]] = []
    points: dict[str, int | float] = {"earned": 0, "spent": 0, "voided": 0, "refund_debited": 0}
    for index, operation in enumerate(payload.get("atomicOperations") or ()):
        path = f"atomicOperations[{index}]"
        operation = _obj(operation, path)
        object_type = _object_type(operation.get("objectType"))
        operation_type = _text(operation.get("operationType"), f"{path}.operationType") or ""
        path = f"{path}.objectValue"
        value = _obj(operation.get("objectValue"), path)
        account = _obj(value.get("account"), f"{path}.account")
        wallet_id = wallet_id or _text(value.get("walletId"), f"{path}.walletId") or _text(
            account.get("walletId"), f"{path}.account.walletId"
        )
        if object_type == "walletIdentityEntity":
            identity_ops.append(value)
        elif object_type == "walletTransactionEntity":
            transactions.append(_Transaction(operation_type, value, path))
        elif object_type == "tierMembershipEntity":
            tier, tier_path = value, path
        elif object_type == "tierMembershipTransactionEntity" and value.get("tierIdAfter") is not None:
            tier_previous_id = _text(value.get("tierId"), f"{path}.tierId")
        elif object_type == "walletAccountEntity" and value.get("type") == "POINTS":
            balances = _obj(value.get("balances"), f"{path}.balances")
            points_balance = _num(balances.get("current"), f"{path}.balances.current")
        elif object_type == "walletAccountTransactionEntity" and account:
            account_type, action = account.get("type"), value.get("event")
            amount = _num(value.get("value"), f"{path}.value")
            if account_type == "POINTS":
                balances = _obj(account.get("balances"), f"{path}.account.balances")
                current = _num(balances.get("current"), f"{path}.account.balances.current")
                points_balance = current if current is not None else points_balance
                if action in _POINTS_CREDITS:
                    points["earned"] += amount or 0
                elif action == "SPEND":
                    points["spent"] += amount or 0
                elif action == "VOID":
                    points["voided"] += amount or 0
                elif action == "REFUND_DEBIT":
                    points["refund_debited"] += amount or 0
            elif account_type == "ECOUPON":
                if action in coupons:
                    coupon_ops.append((action, account, f"{path}.account", amount))
                if account.get("clientType") == "ENTITLEMENT":
                    entitlements.append(_account_summary(account, f"{path}.account", None, money))
            elif account_type == "STANDARD_SUBSCRIPTION":
                summary = _account_summary(account, f"{path}.account", None, money)
                subscription = {
                    key: summary[key] for key in ("account_id", "campaign_id", "status", "date_start", "date_end")
                }
            elif account_type == "BEHAVIOURAL_ACTION" and action == "REDEEM":
                awarded_points = {
                    "points": amount,
                    "account_id": _text(account.get("accountId"), f"{path}.account.accountId"),
                    "campaign_id": _text(account.get("campaignId"), f"{path}.account.campaignId"),
                }

    points_coupons = set().union(*(t.points_coupon_accounts for t in transactions)) if transactions else set()
    # Money coupons unredeemed minus those redeemed again, in minor units: the discount a refund gives back.
    discount_given_back = 0
    for action, account, path, amount in coupon_ops:
        value_type = "points" if str(account.get("accountId")) in points_coupons else "money"
        coupons[action].append(_account_summary(account, path, amount, money, value_type))
        if value_type == "money" and action in ("UNREDEEM", "REDEEM"):
            discount_given_back += (amount or 0) * (1 if action == "UNREDEEM" else -1)

    request = _obj(payload.get("request"), "request")
    request_body = _json_loads(request.get("body"))
    stage = _fulfilment_stage(event_name, request_body)
    transaction = _transaction(event_name, stage, transactions, request_body, discount_given_back, money)
    enrichment = _obj(payload.get("enrichmentData"), "enrichmentData")
    wallet_id = _wallet_id(wallet_id, payload, enrichment)
    identities = _identities(enrichment, wallet_id, identity_ops)
    identity_type = config.settings.get("identity_type") or "CUSTOMER_ID"
    tier = tier or {}
    tier_balances = _obj(tier.get("balances"), f"{tier_path}.balances")
    context = {
        "event_name": event_name,
        "event_id": headers["eesEventId"],
        "master_event_id": _text(headers.get("eesMasterEventId"), "headers.eesMasterEventId"),
        "occurred_at": None
        if occurred_at is None
        else occurred_at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "resource": request.get("resource") if isinstance(request.get("resource"), str) else None,
        "wallet_id": wallet_id,
        "identity_type": identity_type,
        "user_id": identities.get(identity_type),
        "identities": identities,
        "currency": config.settings.get("currency"),
        "loyalty_member": event_name != WALLET_DELETED,
        "points_balance": points_balance,
        "tier_id": _text(tier.get("tierId"), f"{tier_path}.tierId"),
        "tier_previous_id": tier_previous_id,
        "tier_balances_points": _num(tier_balances.get("points"), f"{tier_path}.balances.points"),
        "tier_balances_spend": money(_num(tier_balances.get("spend"), f"{tier_path}.balances.spend")),
        "tier_balances_transactions": _num(tier_balances.get("transactions"), f"{tier_path}.balances.transactions"),
        "tier_balances_reset_date": _date(tier.get("tierBalancesResetDate"), f"{tier_path}.tierBalancesResetDate"),
        "transaction": transaction,
        "coupons_redeemed": coupons["REDEEM"],
        "coupons_unredeemed": coupons["UNREDEEM"],
        "coupons_awarded": coupons["CREATE"],
        "points_earned": points["earned"],
        "points_spent": points["spent"],
        "points_voided": points["voided"],
        "points_refund_debited": points["refund_debited"],
        "subscription": subscription,
        "entitlements": entitlements,
        "awarded_points": awarded_points,
        "wallet_transaction_reference": _reference_of(request_body, transaction, payload),
        "fulfilment_stage": stage,
    }
    return IncomingEvent(
        event_type=event_name,
        source_event_id=notification_key(payload),
        identity=context["user_id"] or "",
        occurred_at=occurred_at,
        context=context,
        raw=payload,
    )
