"""Perkville points transactions: quantity rules, the deduplication key and the request body."""

import hashlib
import math
from decimal import Decimal, InvalidOperation
from typing import Any

MAX_TRANS_SOURCE_ID_CHARS = 100
QUANTITY_PROPERTIES = ("revenue", "value", "total")


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


def perkville_is_refund(event_name: str) -> bool:
    return "refund" in event_name.lower()


def perkville_quantity(*, event_name: str, properties: dict) -> int | float:
    """Points to post (spec §4.1): an event with ``order_id`` is a spend transaction whose quantity
    is ``revenue``, else ``value``, else ``total``; every other event is worth 1. An event whose
    name contains "Refund" removes the points instead (negative quantity). Fractional amounts are
    kept to two decimals (how Perkville rounds them is an open question, spec §5.4 d).
    """
    sign = -1 if perkville_is_refund(event_name) else 1
    if not _present(properties.get("order_id")):
        return sign
    for name in QUANTITY_PROPERTIES:
        value = properties.get(name)
        if value is None:
            continue
        amount = _decimal(value)
        if amount is None:
            raise TransactionRefused(f"properties.{name} ({value!r}) is not a number: no points to count.")
        if amount < 0 and sign > 0:
            raise TransactionRefused(f"properties.{name} ({value!r}) is below 0: only refunds remove points.")
        return sign * _json_number(abs(amount))
    raise TransactionRefused(
        "The event has an order_id, so it is a spend transaction, but it carries no revenue, value or total."
    )


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def perkville_trans_source_id(
    *, perk_id: Any, order_id: Any, refund: bool, message_key: str, audience: str = ""
) -> str:
    """Perkville's per-business duplicate guard, the same for every retry of the same event.

    From the order for spend transactions (a refund gets its own id), else from the Segment message;
    an audience entry adds the audience key. Long ids are shortened to a hash.
    """
    if _present(order_id):
        key = f"segment-{perk_id}-order-{order_id}" + ("-refund" if refund else "")
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

    Assumption: the public Perkville material (Segment's destination page, Perkville's "automating
    your program" page, third-party v2 clients) names the resource ``/v2/transactions/``, the
    ``trans_source_id`` duplicate guard and the values the Segment destination sends (business id,
    location id, perk per event, quantity, customer email, send-email flag), but not the exact JSON
    field names of a transaction POST. This body uses ``business``, ``location`` and ``perk`` (numeric
    ids as numbers, other ids as text), ``quantity`` (negative to remove points on refunds),
    ``email`` (the customer's address), ``send_email`` (true/false) and ``trans_source_id``. Confirm
    the names against Perkville's v2 "Transactions" reference and change them here only.
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
