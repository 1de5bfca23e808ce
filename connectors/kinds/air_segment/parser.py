"""AIR event notification → a flat, documented event context (spec/segment-air.md §4.6).

The context is what mapping rules read (JMESPath) and what the admin shows for a stored event. Every
key is always present (``null``, ``[]`` when the notification does not carry it):

``event_name``
    ``headers.eventName``, e.g. ``POSCONNECT.WALLET.SETTLE``.
``event_id``, ``master_event_id``
    ``headers.eesEventId`` (unique per notification) and ``headers.eesMasterEventId``.
``occurred_at``
    ``headers.eventDate`` read as UTC (AIR sends no zone), ISO 8601 with milliseconds and ``Z``.
``resource``
    ``request.resource``, the AIR API path whose call raised the event.
``wallet_id``
    the wallet the event is about: the first ``walletId`` in the atomic operations, else the one in
    ``request.resource`` (``/wallet/<id>/…``), else the only ``enrichmentData`` wallet.
``identity_type``, ``user_id``
    the connector's identity type and the value of the wallet identity of that type: the Segment
    userId. ``null`` when the wallet has no such identity.
``identities``
    every identity of the wallet by type, ``{"CUSTOMER_ID": "…", "CARD": "…"}``, from
    ``enrichmentData.walletEntity_<wallet_id>.identities``, else from the ``walletIdentityEntity``
    atomic operations.
``currency``
    the connector's currency (AIR notifications carry none).
``loyalty_member``
    always ``true``: AIR only notifies about wallets.
``points_balance``
    ``balances.current`` of the last points account touched by the event; for a points spend, the
    balance after the spend (``spendAdjudicationResults.balanceAfter.current``).
``tier_id``, ``tier_previous_id``, ``tier_balances_points``, ``tier_balances_spend``,
``tier_balances_transactions``, ``tier_balances_reset_date``
    from the last ``tierMembershipEntity``; ``tier_previous_id`` is the tier before a move.
    Spend is money.
``transaction``
    the wallet transaction the event is about (the last ``walletTransactionEntity``: the new
    FULFIL or REFUND transaction, or the SETTLE/SPEND one), or ``null``::

        {"reference", "original_reference", "type", "status", "date",
         "products": [{"product_id", "sku", "name", "price", "quantity"}],
         "total", "discounts", "points_earned", "points_deducted", "points_spent",
         "store_location": {"store_id", "store_parent_id"} | null}

    ``original_reference`` is the parent transaction's reference (the order a FULFIL or REFUND
    belongs to; for a spend, the request's ``parentWalletTransactionReference``). ``total`` is the
    basket value after discounts, ``discounts`` the sum of ``totalDiscountAmount``; when the new
    transaction has no discount or points summary (a middle FULFIL) the parent's is used.
``coupons_redeemed``, ``coupons_unredeemed``, ``coupons_awarded``
    e-coupon accounts redeemed (``REDEEM``), unredeemed (``UNREDEEM``) and created (``CREATE``) by
    the event: ``[{"account_id", "campaign_id", "type", "client_type", "status", "date_start",
    "date_end", "value"}]``; ``value`` is money.
``points_earned``, ``points_spent``, ``points_voided``
    points credited (``EARN``, ``CREDIT``), spent and given back by a void in this event.
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
default) they are divided by 10 to the power of the currency's exponent (100 for GBP, 1 for JPY).
Dates are ISO 8601 UTC with milliseconds and ``Z``, as Segment stores them.
"""

import json
import re
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from babel.numbers import get_currency_precision

from connectors.kinds.base import ConnectorConfig, FieldError, IncomingEvent, PayloadInvalid

_WALLET_IN_RESOURCE = re.compile(r"/wallet/(\d+)")
_POINTS_CREDITS = frozenset({"EARN", "CREDIT"})


@lru_cache(maxsize=64)
def _divisor(currency: str) -> int:
    return 10 ** get_currency_precision(currency)


def money_converter(config: ConnectorConfig):
    """The function turning an AIR amount into currency units for this connector."""
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


def _envelope_check(payload: Any) -> tuple[dict, datetime | None]:
    if not isinstance(payload, dict):
        raise PayloadInvalid([FieldError("", "An AIR notification must be a JSON object.")])
    headers = payload.get("headers")
    if not isinstance(headers, dict):
        raise PayloadInvalid([FieldError("headers", "Required: the AIR notification headers.")])
    errors = []
    for key in ("eventName", "eesEventId"):
        if not isinstance(headers.get(key), str) or not headers[key].strip():
            errors.append(FieldError(f"headers.{key}", "Required, a non-empty string."))
    occurred_at = None
    if headers.get("eventDate"):
        try:
            occurred_at = datetime.fromisoformat(headers["eventDate"])
        except (TypeError, ValueError):
            errors.append(
                FieldError("headers.eventDate", "Must be a date and time such as 2025-01-29T19:40:48.965235.")
            )
    if not isinstance(payload.get("atomicOperations", []), list):
        errors.append(FieldError("atomicOperations", "Must be a list."))
    if errors:
        raise PayloadInvalid(errors)
    if occurred_at is not None:
        occurred_at = (
            occurred_at.replace(tzinfo=UTC) if occurred_at.tzinfo is None else occurred_at.astimezone(UTC)
        )
    return headers, occurred_at


def _account_summary(account: dict, value: Any, money) -> dict:
    dates = account.get("dates") or {}
    return {
        "account_id": account.get("accountId"),
        "campaign_id": account.get("campaignId"),
        "type": account.get("type"),
        "client_type": account.get("clientType"),
        "status": account.get("status"),
        "date_start": iso_utc(dates.get("start")),
        "date_end": iso_utc(dates.get("end")),
        "value": money(value),
    }


def _discounts(summary: dict) -> int | float | None:
    amounts = summary.get("totalDiscountAmount")
    if not isinstance(amounts, dict):
        return None
    return sum(value for value in amounts.values() if isinstance(value, int | float))


def _points_given(summary: dict) -> Any:
    return ((summary.get("results") or {}).get("points") or {}).get("totalPointsGiven")


def _transaction(current: dict, parent: dict | None, request_body: Any, money) -> dict:
    basket = current.get("basket") or {}
    summary = basket.get("summary") or {}
    parent_summary = ((parent or {}).get("basket") or {}).get("summary") or {}
    points = (summary.get("results") or {}).get("points") or {}
    discounts = _discounts(summary)
    if discounts is None:
        discounts = _discounts(parent_summary)
    points_earned = _points_given(summary)
    if points_earned is None:
        points_earned = _points_given(parent_summary)
    location = current.get("location") or {}
    if location.get("storeId") is None and location.get("storeParentId") is None and parent:
        location = parent.get("location") or {}
    original_reference = parent.get("reference") if parent else None
    if original_reference is None and isinstance(request_body, dict):
        original_reference = request_body.get("parentWalletTransactionReference")
    spend = summary.get("spendAdjudicationResults") or {}
    return {
        "reference": current.get("reference"),
        "original_reference": original_reference,
        "type": current.get("type"),
        "status": current.get("status"),
        "date": iso_utc(current.get("transactionDateTime")),
        "products": [
            {
                "product_id": item.get("upc"),
                "sku": item.get("sku") or item.get("upc"),
                "name": item.get("description"),
                "price": money(item.get("itemUnitCost")),
                "quantity": item.get("itemUnitCount"),
            }
            for item in basket.get("contents") or ()
        ],
        "total": money(summary.get("totalBasketValue")),
        "discounts": money(discounts),
        "points_earned": points_earned,
        "points_deducted": points.get("totalPointsTaken"),
        "points_spent": points.get("spend") or spend.get("pointsValue"),
        "store_location": None
        if location.get("storeId") is None and location.get("storeParentId") is None
        else {"store_id": location.get("storeId"), "store_parent_id": location.get("storeParentId")},
    }


def _fulfilment_stage(event_name: str, request_body: Any) -> str | None:
    if event_name != "POSCONNECT.WALLET.FULFIL":
        return None
    body = request_body if isinstance(request_body, dict) else {}
    if not body.get("basket"):
        return "initial"
    return "final" if body.get("finalise") else "middle"


def _reference_of(request_body: Any, transaction: dict | None, payload: dict) -> str | None:
    """The wallet transaction reference: what the caller sent, else the transaction's, else AIR's reply."""
    sent = (request_body or {}).get("walletTransaction") if isinstance(request_body, dict) else None
    if isinstance(sent, dict) and sent.get("reference"):
        return sent["reference"]
    if transaction and transaction.get("reference"):
        return transaction["reference"]
    reply = (payload.get("response") or {}).get("body")
    return reply.get("reference") if isinstance(reply, dict) else None


def _wallet_id(found: str | None, payload: dict) -> str | None:
    if found:
        return str(found)
    match = _WALLET_IN_RESOURCE.search(str((payload.get("request") or {}).get("resource") or ""))
    if match:
        return match.group(1)
    enrichment = payload.get("enrichmentData") or {}
    if len(enrichment) == 1:
        return next(iter(enrichment)).removeprefix("walletEntity_")
    return None


def _identities(payload: dict, wallet_id: str | None, identity_ops: list[dict]) -> dict[str, str]:
    enrichment = (payload.get("enrichmentData") or {}).get(f"walletEntity_{wallet_id}") or {}
    found: dict[str, str] = {}
    for identity in enrichment.get("identities") or identity_ops:
        kind, value = identity.get("type"), identity.get("value")
        if kind and value is not None and kind not in found:
            found[kind] = str(value)
    if not found and identity_ops:
        return _identities({}, None, identity_ops)
    return found


def notification_parse(payload: Any, config: ConnectorConfig) -> IncomingEvent:
    """Validate an AIR notification's envelope and build its event context (module docstring)."""
    headers, occurred_at = _envelope_check(payload)
    money = money_converter(config)
    event_name = headers["eventName"]
    wallet_id = None
    identity_ops: list[dict] = []
    transactions: list[dict] = []
    points_account: dict | None = None
    tier: dict | None = None
    tier_previous_id = None
    subscription: dict | None = None
    awarded_points: dict | None = None
    coupons: dict[str, list[dict]] = {"REDEEM": [], "UNREDEEM": [], "CREATE": []}
    entitlements: list[dict] = []
    points_earned = points_spent = points_voided = 0
    for operation in payload.get("atomicOperations") or ():
        object_type = operation.get("objectType")
        value = operation.get("objectValue")
        if not isinstance(value, dict):
            continue
        account = value.get("account") if isinstance(value.get("account"), dict) else None
        wallet_id = wallet_id or value.get("walletId") or (account or {}).get("walletId")
        if object_type == "walletIdentityEntity":
            identity_ops.append(value)
        elif object_type == "walletTransactionEntity":
            transactions.append(value)
        elif object_type == "tierMembershipEntity":
            tier = value
        elif object_type == "tierMembershipTransactionEntity" and value.get("tierIdAfter"):
            tier_previous_id = value.get("tierId")
        elif object_type == "walletAccountEntity" and value.get("type") == "POINTS":
            points_account = value
        elif object_type == "walletAccountTransactionEntity" and account:
            account_type, action = account.get("type"), value.get("event")
            if account_type == "POINTS":
                points_account = account
                if action in _POINTS_CREDITS:
                    points_earned += value.get("value") or 0
                elif action == "SPEND":
                    points_spent += value.get("value") or 0
                elif action == "VOID":
                    points_voided += value.get("value") or 0
            elif account_type == "ECOUPON":
                if action in coupons:
                    coupons[action].append(_account_summary(account, value.get("value"), money))
                if account.get("clientType") == "ENTITLEMENT":
                    entitlements.append(_account_summary(account, None, money))
            elif account_type == "STANDARD_SUBSCRIPTION":
                subscription = _account_summary(account, None, money)
                del subscription["value"], subscription["type"], subscription["client_type"]
            elif account_type == "BEHAVIOURAL_ACTION" and action == "REDEEM":
                awarded_points = {
                    "points": value.get("value"),
                    "account_id": account.get("accountId"),
                    "campaign_id": account.get("campaignId"),
                }

    needs_request = event_name in ("POSCONNECT.WALLET.FULFIL", "SERVICE.TRIGGER") or event_name.startswith(
        "POSCONNECT.WALLET.SPEND"
    )
    request_body = _json_loads((payload.get("request") or {}).get("body")) if needs_request else None
    transaction = None
    points_balance = ((points_account or {}).get("balances") or {}).get("current")
    if transactions:
        current = transactions[-1]
        parent_id = current.get("parentWalletTransactionId")
        parent = next((t for t in reversed(transactions) if t.get("walletTransactionId") == parent_id), None)
        transaction = _transaction(current, parent, request_body, money)
        spend = ((current.get("basket") or {}).get("summary") or {}).get("spendAdjudicationResults") or {}
        balance_after = (spend.get("balanceAfter") or {}).get("current")
        if current.get("type") == "SPEND" and current.get("status") != "VOIDED" and balance_after is not None:
            points_balance = balance_after
        points_spent = points_spent or transaction["points_spent"] or 0

    wallet_id = _wallet_id(wallet_id, payload)
    identities = _identities(payload, wallet_id, identity_ops)
    identity_type = config.settings.get("identity_type") or "CUSTOMER_ID"
    tier_balances = (tier or {}).get("balances") or {}
    context = {
        "event_name": event_name,
        "event_id": headers["eesEventId"],
        "master_event_id": headers.get("eesMasterEventId"),
        "occurred_at": None
        if occurred_at is None
        else occurred_at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "resource": (payload.get("request") or {}).get("resource"),
        "wallet_id": wallet_id,
        "identity_type": identity_type,
        "user_id": identities.get(identity_type),
        "identities": identities,
        "currency": config.settings.get("currency"),
        "loyalty_member": True,
        "points_balance": points_balance,
        "tier_id": None if tier is None else tier.get("tierId"),
        "tier_previous_id": tier_previous_id,
        "tier_balances_points": tier_balances.get("points"),
        "tier_balances_spend": money(tier_balances.get("spend")),
        "tier_balances_transactions": tier_balances.get("transactions"),
        "tier_balances_reset_date": iso_utc((tier or {}).get("tierBalancesResetDate")),
        "transaction": transaction,
        "coupons_redeemed": coupons["REDEEM"],
        "coupons_unredeemed": coupons["UNREDEEM"],
        "coupons_awarded": coupons["CREATE"],
        "points_earned": points_earned,
        "points_spent": points_spent,
        "points_voided": points_voided,
        "subscription": subscription,
        "entitlements": entitlements,
        "awarded_points": awarded_points,
        "wallet_transaction_reference": _reference_of(request_body, transaction, payload),
        "fulfilment_stage": _fulfilment_stage(event_name, request_body),
    }
    return IncomingEvent(
        event_type=event_name,
        source_event_id=headers["eesEventId"],
        identity=context["user_id"] or "",
        occurred_at=occurred_at,
        context=context,
        raw=payload,
    )
