"""Perkville points transactions: quantity rules, the deduplication key and the request body."""

import hashlib
import math
from decimal import Decimal, InvalidOperation
from typing import Any

MAX_TRANS_SOURCE_ID_CHARS = 100
QUANTITY_PROPERTIES = ("revenue", "value", "total")
# Segment's e-commerce spec: the event that reverses an order.
REFUND_FAMILY = ("Order Refunded",)


class TransactionRefused(ValueError):
    """The event cannot become a transaction; the message says which value is missing or wrong."""


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | str):
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    if isinstance(value, float) and math.isfinite(value):
        return Decimal(repr(value))
    return None


def _json_number(number: Decimal) -> int | float:
    if number == number.to_integral_value():
        return int(number)
    return float(round(number, 2))


def perkville_refund_names(setting: object) -> frozenset[str]:
    """The event names that remove points: the e-commerce spec's and those staff list (comma-separated)."""
    listed = setting.split(",") if isinstance(setting, str) else []
    return frozenset(name.strip().casefold() for name in (*REFUND_FAMILY, *listed) if name.strip())


def perkville_is_refund(event_name: str, *, setting: object) -> bool:
    """A refund is an event of Segment's e-commerce refund family, not any name containing "refund".

    Segment's Perkville page says points are removed when "the order event name includes Refund,
    per the eCommerce spec"; the spec's refund event is ``Order Refunded``. A name merely containing
    the word ("Non-refundable Deposit Paid", "Refund Policy Viewed") is not a refund; other names
    that are (a shop's "Order Returned") are listed by staff in the ``refund_events`` setting.
    """
    return event_name.strip().casefold() in perkville_refund_names(setting)


def perkville_order_id(properties: dict[str, Any]) -> Any:
    """``order_id``, else ``orderId`` (analytics.js and Segment's own examples write both)."""
    for name in ("order_id", "orderId"):
        if _present(properties.get(name)):
            return properties[name]
    return None


def perkville_quantity(*, refund: bool, properties: dict[str, Any]) -> tuple[int | float, str]:
    """Points to post and a note for support (spec §4.1).

    An event with an order id is a spend transaction whose quantity is the first of ``revenue``,
    ``value`` and ``total`` that is a number (one that is not is passed over, and named in the
    note); without an order id, or without any such number, the quantity is 1. A refund removes the
    points instead (negative quantity). Fractional amounts are kept to two decimals (how Perkville
    rounds them is an open question, spec §5.4 d).
    """
    sign = -1 if refund else 1
    if not _present(perkville_order_id(properties)):
        return sign, ""
    passed_over: list[str] = []
    for name in QUANTITY_PROPERTIES:
        value = properties.get(name)
        if not _present(value):
            continue
        amount = _decimal(value)
        if amount is None:
            passed_over.append(f"properties.{name} ({value!r})")
            continue
        if amount < 0 and not refund:
            raise TransactionRefused(f"properties.{name} ({value!r}) is below 0: only refunds remove points.")
        note = f"Not a number, so not counted: {', '.join(passed_over)}." if passed_over else ""
        return sign * _json_number(abs(amount)), note
    if passed_over:
        return sign, f"Not a number, so not counted: {', '.join(passed_over)}; the order counts as 1."
    return sign, "The order carries no revenue, value or total: it counts as 1."


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def perkville_trans_source_id(
    *, perk_id: Any, order_id: Any, refund: bool, message_key: str, audience: str = ""
) -> str:
    """Perkville's per-business duplicate guard, the same for every retry of the same event.

    A sale with an order is keyed by the order, as Perkville advises (build it from the sale's id),
    so the same order never earns twice. A refund is keyed by its own Segment message: two partial
    refunds of one order are two transactions, and only a retry of the same message repeats an id.
    Any other event is keyed by its message; an audience entry adds the audience key. Ids over
    MAX_TRANS_SOURCE_ID_CHARS are shortened to a hash.
    """
    if refund:
        key = f"segment-{perk_id}-refund-{message_key}"
    elif _present(order_id):
        key = f"segment-{perk_id}-order-{order_id}"
    else:
        key = f"segment-{perk_id}-{message_key}" + (f"-{audience}" if audience else "")
    if len(key) > MAX_TRANS_SOURCE_ID_CHARS:
        key = "segment-" + hashlib.sha256(key.encode()).hexdigest()
    return key


def _identifier(value: Any) -> Any:
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return value


def perkville_transaction_body(
    *,
    business_id: Any,
    location_id: Any,
    perk_id: Any,
    email: str,
    quantity: int | float,
    send_email: bool,
    trans_source_id: str,
) -> dict[str, Any]:
    """The JSON body of ``POST {api_base_url}/v2/transactions/``.

    Perkville publishes no contract for this body. The public material (Segment's destination page,
    Perkville's "automating your program" page, third-party v2 clients) names the resource
    ``/v2/transactions/``, the ``trans_source_id`` duplicate guard and the values the Segment
    destination sends (business id, location id, perk per event, quantity, customer email,
    send-email flag), but not the JSON field names. This body uses ``business``, ``location`` and
    ``perk`` (numeric ids as numbers, other ids as text), ``quantity`` (negative to remove points on
    refunds), ``email`` (the customer's address), ``send_email`` (true/false) and
    ``trans_source_id``. Confirm the names against Perkville's v2 "Transactions" reference and
    change them here only (the sandbox, connectors/sandbox/perkville.py, checks the same names).
    """
    return {
        "business": _identifier(business_id),
        "location": _identifier(location_id),
        "perk": _identifier(perk_id),
        "quantity": quantity,
        "email": email,
        "send_email": bool(send_email),
        "trans_source_id": trans_source_id,
    }
