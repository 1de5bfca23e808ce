"""AIR event notification → a flat, documented event context (spec/segment-air.md §4.6).

The context is what mapping rules read (JMESPath) and what the admin shows for a stored event. Every
key is always present (``null``, ``[]`` when the notification does not carry it). The values follow
how Eagle Eye's own connector library (``integration-events-common``, ``src/ee-air``) reads each
notification; where this parsing differs, the docstring of the value says why.

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
    the wallet transaction the event reports, chosen by event (:mod:`.parse_out_transaction`), or ``null``::

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
from datetime import UTC, datetime
from typing import Any, cast

from connectors.kinds.air_segment.parse_out_operations import Operations
from connectors.kinds.air_segment.parse_out_transaction import fulfilment_stage, transaction_context
from connectors.kinds.air_segment.parse_out_values import (
    as_date,
    as_list,
    as_number,
    as_object,
    as_text,
    invalid,
    json_unwrap,
    money_converter,
)
from connectors.kinds.base import ConnectorConfig, FieldError, IncomingEvent, PayloadInvalid

_WALLET_IN_RESOURCE = re.compile(r"/wallet/(\d+)")
# Longest eesEventId accepted: AIR's are UUIDs (36 characters); the key adds 33 and must fit the
# 200-character source id column without truncation.
MAX_EVENT_ID_CHARS = 100
WALLET_DELETED = "SERVICE.WALLET.DELETE"
# A deleted wallet's identities come with this status and their values replaced
# (``DELETED_<identityId>_…``): they name nobody, so they are not identities of the customer.
_SCRUBBED = "DELETED"


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
        raise invalid("", "An AIR notification must be a JSON object.")
    headers = payload.get("headers")
    if not isinstance(headers, dict):
        raise invalid("headers", "Required: the AIR notification headers.")
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


def _reference_of(request_body: Any, transaction: dict[str, Any] | None, payload: dict[str, Any]) -> str | None:
    """The wallet transaction reference: what the caller sent, else the transaction's, else AIR's reply."""
    sent = request_body.get("walletTransaction") if isinstance(request_body, dict) else None
    if isinstance(sent, dict) and isinstance(sent.get("reference"), str) and sent["reference"]:
        return cast(str, sent["reference"])  # text, as checked above
    if transaction and transaction.get("reference"):
        return cast(str, transaction["reference"])  # _transaction reads it as text
    reply = as_object(payload.get("response"), "response").get("body")
    reply = json_unwrap(reply)
    return as_text(reply.get("reference"), "response.body.reference") if isinstance(reply, dict) else None


def _wallet_id(found: str | None, payload: dict[str, Any], enrichment: dict[str, Any]) -> str | None:
    if found:
        return found
    resource = as_object(payload.get("request"), "request").get("resource")
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
        identity = as_object(identity, f"{path}[{index}]")
        kind = as_text(identity.get("type"), f"{path}[{index}].type")
        value = as_text(identity.get("value"), f"{path}[{index}].value")
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
        entry = as_object(enrichment[key], f"enrichmentData.{key}")
        path = f"enrichmentData.{key}.identities"
        found = _identities_of(as_list(entry.get("identities"), path), path)
        if found:
            return found
    flat = as_object(enrichment.get("identities"), "enrichmentData.identities")
    found = {
        kind: value
        for kind, raw in flat.items()
        if (value := as_text(raw, f"enrichmentData.identities.{kind}")) is not None
    }
    if found:
        return found
    return _identities_of(identity_ops, "atomicOperations[walletIdentityEntity].objectValue")


def _tier_values(operations: Operations, tier_balances: dict[str, Any]) -> dict[str, Any]:
    tier, path = operations.tier or {}, operations.tier_path
    return {
        "tier_id": as_text(tier.get("tierId"), f"{path}.tierId"),
        "tier_previous_id": operations.tier_previous_id,
        "tier_balances_points": as_number(tier_balances.get("points"), f"{path}.balances.points"),
        "tier_balances_spend": operations.money(as_number(tier_balances.get("spend"), f"{path}.balances.spend")),
        "tier_balances_transactions": as_number(tier_balances.get("transactions"), f"{path}.balances.transactions"),
        "tier_balances_reset_date": as_date(tier.get("tierBalancesResetDate"), f"{path}.tierBalancesResetDate"),
    }


def _context(
    payload: dict[str, Any],
    headers: dict[str, Any],
    occurred_at: datetime | None,
    operations: Operations,
    config: ConnectorConfig,
) -> dict[str, Any]:
    """The event context (module docstring), its values read in the order their errors are reported."""
    event_name = headers["eventName"]
    coupons, discount_given_back = operations.coupons()
    request = as_object(payload.get("request"), "request")
    request_body = json_unwrap(request.get("body"))
    stage = fulfilment_stage(event_name, request_body)
    transaction = transaction_context(
        event_name, stage, operations.transactions, request_body, discount_given_back, operations.money
    )
    enrichment = as_object(payload.get("enrichmentData"), "enrichmentData")
    wallet_id = _wallet_id(operations.wallet_id, payload, enrichment)
    identities = _identities(enrichment, wallet_id, operations.identity_ops)
    identity_type = config.settings.get("identity_type") or "CUSTOMER_ID"
    tier_balances = as_object((operations.tier or {}).get("balances"), f"{operations.tier_path}.balances")
    return {
        "event_name": event_name,
        "event_id": headers["eesEventId"],
        "master_event_id": as_text(headers.get("eesMasterEventId"), "headers.eesMasterEventId"),
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
        "points_balance": operations.points_balance,
        **_tier_values(operations, tier_balances),
        "transaction": transaction,
        "coupons_redeemed": coupons["REDEEM"],
        "coupons_unredeemed": coupons["UNREDEEM"],
        "coupons_awarded": coupons["CREATE"],
        "points_earned": operations.points["earned"],
        "points_spent": operations.points["spent"],
        "points_voided": operations.points["voided"],
        "points_refund_debited": operations.points["refund_debited"],
        "subscription": operations.subscription,
        "entitlements": operations.entitlements,
        "awarded_points": operations.awarded_points,
        "wallet_transaction_reference": _reference_of(request_body, transaction, payload),
        "fulfilment_stage": stage,
    }


def notification_parse(payload: Any, config: ConnectorConfig) -> IncomingEvent:
    """Validate an AIR notification and build its event context (module docstring)."""
    headers, occurred_at = _envelope_check(payload)
    operations = Operations(money_converter(config))
    for index, operation in enumerate(payload.get("atomicOperations") or ()):
        operations.read(index, operation)
    context = _context(payload, headers, occurred_at, operations, config)
    return IncomingEvent(
        event_type=headers["eventName"],
        source_event_id=notification_key(payload),
        identity=context["user_id"] or "",
        occurred_at=occurred_at,
        context=context,
        raw=payload,
    )
