"""A Segment track message → the query parameters of an Everflow server-to-server postback.

Which Segment field feeds which value is Everflow's own table for its Segment destination ("All
Sources" and "Mobile Sources", seeds/002). That table names the fields of Everflow's conversion
*records* (``conversion_user_ip``, ``http_user_agent``, ``affiliate_id``, ``order_line_items``);
a postback does not take those names, and Everflow ignores a parameter it does not know without a
word. So each value is sent under the name the postback takes:

- Everflow's JavaScript SDK, ``EF.conversion()`` (everflow-io/everflow-sdk ``src/sdk.js`` and
  developers.everflow.io "Conversion Tracking"): ``transaction_id``, ``adv_event_id`` (global
  advertiser events; the SDK drops ``event_id`` when it is set), ``amount``, ``coupon_code``,
  ``order_id``, ``email``, ``adv1``…``adv5``, ``affid`` (its ``affiliate_id`` option), ``order``
  (the order detail, one JSON object) and ``verification_token``.
- Everflow's help center, "Accessing & Editing S2S Postback URLs": ``nid`` and ``transaction_id``
  are the minimum; ``amount`` is read in the offer's currency and ``&amount=12,34`` as 12.34.
- The user's address and browser, and the mobile ids, are not in the SDK (a browser sends them
  itself); the open server-side sender (RudderStack's Everflow destination, spec §3.3) posts them
  as ``user_ip``, ``user_agent``, ``app_id``, ``idfa``, ``google_aid`` and ``android_id``.

The mobile table's other rows (app name and version, device make and model, carrier, OS, network,
location, ad tracking) have no postback parameter: they are not sent, and the delivery's note names
the fields left out, as it names product names (the order detail has no place for them).
"""

import enum
import json
import math
from decimal import Decimal, InvalidOperation
from typing import Any

# EF.conversion() cuts a transaction id over 332 characters to its first 33 and last 297 (src/sdk.js).
MAX_TRANSACTION_ID_CHARS = 332
_TRANSACTION_ID_HEAD = 33
_TRANSACTION_ID_TAIL = 297
# Everflow's REST API refuses a sale amount below 0 ("Update Conversion Sale Amount": x >= 0).
MIN_AMOUNT = Decimal(0)
TRANSACTION_ID_PROPERTIES = ("transactionId", "transaction_id", "tid")
APPLE_DEVICES = frozenset({"ios", "ipados", "tvos", "watchos", "macos"})
ANDROID_DEVICES = frozenset({"android"})


class ConversionRefused(ValueError):
    """The message cannot become a conversion; the message names the Segment field."""


class Accepts(enum.Enum):
    STRING = "a string"
    STRING_NUMBER = "a string or a number"
    STRING_NUMBER_BOOLEAN = "a string, a number or true/false"
    NUMBER = "a number"
    WHOLE_NUMBER = "a whole number"
    AMOUNT = "an amount of 0 or more (a number, or text such as 12.34 or 12,34)"


# (Segment paths, first non-empty wins; postback parameter; accepted types). Seed 002's rows, under
# their postback names; the fallbacks are the other senders' conventions (spec §3.3).
ALL_SOURCES: tuple[tuple[tuple[str, ...], str, Accepts], ...] = (
    (("context.ip",), "user_ip", Accepts.STRING),
    (("context.userAgent",), "user_agent", Accepts.STRING),
    (("context.traits.email", "properties.email"), "email", Accepts.STRING),
    (("properties.adv1",), "adv1", Accepts.STRING_NUMBER_BOOLEAN),
    (("properties.adv2",), "adv2", Accepts.STRING_NUMBER_BOOLEAN),
    (("properties.adv3",), "adv3", Accepts.STRING_NUMBER_BOOLEAN),
    (("properties.adv4",), "adv4", Accepts.STRING_NUMBER_BOOLEAN),
    (("properties.adv5",), "adv5", Accepts.STRING_NUMBER_BOOLEAN),
    (("properties.coupon",), "coupon_code", Accepts.STRING_NUMBER),
    # Segment's e-commerce spec: order_id is a string (e.g. "o283h08fh2390f923uofu23").
    (("properties.orderId", "properties.order_id"), "order_id", Accepts.STRING_NUMBER),
    (("properties.affiliateId",), "affid", Accepts.WHOLE_NUMBER),
    (("properties.total", "properties.revenue", "properties.value", "properties.price"), "amount", Accepts.AMOUNT),
)
# Seed 002 marks both required for mobile sources.
MOBILE_REQUIRED: tuple[tuple[str, str], ...] = (("context.ip", "user_ip"), ("context.app.namespace", "app_id"))
# Seed 002's mobile rows that no postback parameter carries.
MOBILE_NOT_SENT = (
    "context.device.adTrackingEnabled",
    "context.app.name",
    "context.app.version",
    "context.device.manufacturer",
    "context.device.model",
    "context.network.carrier",
    "context.os.name",
    "context.os.version",
    "context.network.wifi",
    "context.location.latitude",
    "context.location.longitude",
)


def _lookup(message: dict[str, Any], path: str) -> Any:
    value: Any = message
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _absent(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _decimal_text(number: Decimal) -> str:
    return format(number.normalize(), "f") if number != 0 else "0"


def _number_text(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _decimal_text(Decimal(repr(value))) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            return None
        return _decimal_text(number) if number.is_finite() else None
    return None


def _amount_text(value: Any) -> str | None:
    """An amount as Everflow reads it: a number, or text with a decimal point or one decimal comma."""
    if isinstance(value, str) and value.count(",") == 1 and "." not in value:
        value = value.replace(",", ".")
    text = _number_text(value)
    if text is None or Decimal(text) < MIN_AMOUNT:
        return None
    return text


def _coerce(value: Any, accepts: Accepts) -> str | None:
    """The value as query text, or None when it is not of an accepted type."""
    if accepts is Accepts.AMOUNT:
        return _amount_text(value)
    if accepts is Accepts.NUMBER:
        return _number_text(value)
    if accepts is Accepts.WHOLE_NUMBER:
        text = _number_text(value)
        return text if text is not None and text.isdigit() else None
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return ("true" if value else "false") if accepts is Accepts.STRING_NUMBER_BOOLEAN else None
    if accepts in (Accepts.STRING_NUMBER, Accepts.STRING_NUMBER_BOOLEAN):
        return _number_text(value)
    return None


def json_short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _refuse(path: str, parameter: str, accepts: Accepts, value: Any) -> ConversionRefused:
    return ConversionRefused(f"{path} ({json_short(value)}) must be {accepts.value} for Everflow's {parameter}.")


def _first(message: dict[str, Any], paths: tuple[str, ...]) -> tuple[str, Any]:
    for path in paths:
        value = _lookup(message, path)
        if not _absent(value):
            return path, value
    return paths[0], None


def _apply_table(message: dict[str, Any], params: dict[str, str]) -> None:
    for paths, parameter, accepts in ALL_SOURCES:
        source, value = _first(message, paths)
        if value is None:
            continue
        text = _coerce(value, accepts)
        if text is None:
            raise _refuse(source, parameter, accepts, value)
        params[parameter] = text


def _order_detail(message: dict[str, Any], params: dict[str, str]) -> tuple[dict[str, Any] | None, list[str]]:
    """The SDK's ``order`` object for ``properties.products``, and the product fields left out.

    Its keys are those of Everflow's order object (``oid``, ``amt``, ``cc``, ``items`` of ``ps``
    product SKU, ``qty`` quantity and ``p`` line price), as Everflow's published cart snippets
    build it for ``EF.conversion({order})``.
    """
    products = _lookup(message, "properties.products")
    if _absent(products):
        return None, []
    if not isinstance(products, list):
        raise ConversionRefused("properties.products must be a list of products.")
    items: list[dict[str, Any]] = []
    left_out: list[str] = []
    for index, product in enumerate(products):
        if not isinstance(product, dict):
            raise ConversionRefused(f"properties.products[{index}] must be an object.")
        item: dict[str, Any] = {}
        sku, quantity, price = product.get("sku"), product.get("quantity"), product.get("price")
        if not _absent(sku):
            if _coerce(sku, Accepts.STRING_NUMBER) is None:
                raise _refuse(f"properties.products[{index}].sku", "order items", Accepts.STRING_NUMBER, sku)
            item["ps"] = _coerce(sku, Accepts.STRING_NUMBER)
        if not _absent(quantity):
            quantity_text = _coerce(quantity, Accepts.NUMBER)
            if quantity_text is None:
                raise _refuse(f"properties.products[{index}].quantity", "order items", Accepts.NUMBER, quantity)
            item["qty"] = Decimal(quantity_text)
        if not _absent(price):
            price_text = _amount_text(price)
            if price_text is None:
                raise _refuse(f"properties.products[{index}].price", "order items", Accepts.AMOUNT, price)
            item["p"] = Decimal(price_text) * item.get("qty", Decimal(1))
        if not _absent(product.get("name")):
            left_out.append(f"properties.products[{index}].name")
        if item:
            items.append({key: _json_number(value) for key, value in item.items()})
    order: dict[str, Any] = {}
    for key, parameter in (("oid", "order_id"), ("amt", "amount"), ("cc", "coupon_code")):
        if parameter in params:
            order[key] = _json_number(Decimal(params[parameter])) if key == "amt" else params[parameter]
    if not items:
        return None, left_out
    order["items"] = items
    return order, left_out


def _json_number(value: Any) -> Any:
    if not isinstance(value, Decimal):
        return value
    return int(value) if value == value.to_integral_value() else float(value)


def everflow_transaction_id(message: dict[str, Any]) -> tuple[str, str]:
    """The click's transaction id and a note when it had to be shortened.

    ``context.referrer.id`` when ``context.referrer.type`` is Everflow's, in any case (Segment's
    Everflow page writes ``everflow``; SDKs and hand-written code vary), else the properties.
    """
    referrer = _lookup(message, "context.referrer")
    candidates: list[tuple[str, Any]] = []
    kind = referrer.get("type") if isinstance(referrer, dict) else None
    if isinstance(kind, str) and kind.strip().casefold() == "everflow":
        candidates.append(("context.referrer.id", referrer.get("id")))
    candidates += [
        (f"properties.{name}", _lookup(message, f"properties.{name}")) for name in TRANSACTION_ID_PROPERTIES
    ]
    for path, value in candidates:
        if _absent(value):
            continue
        text = _coerce(value, Accepts.STRING_NUMBER)
        if text is None:
            raise ConversionRefused(f"{path} ({json_short(value)}) must be a string for Everflow's transaction_id.")
        if len(text) <= MAX_TRANSACTION_ID_CHARS:
            return text, ""
        return (
            text[:_TRANSACTION_ID_HEAD] + text[-_TRANSACTION_ID_TAIL:],
            f"{path} has {len(text)} characters: sent as its first {_TRANSACTION_ID_HEAD} and last "
            f"{_TRANSACTION_ID_TAIL}, "
            "as Everflow's SDK sends a transaction id over 332.",
        )
    raise ConversionRefused(
        'transaction_id is required by Everflow: set context.referrer to {"type": "everflow", "id": '
        "<EF.getAdvertiserTransactionId()>}, or send properties.transaction_id."
    )


def everflow_device_family(message: dict[str, Any]) -> str:
    """``apple``, ``android`` or "" (not a mobile source)."""
    device_type = _lookup(message, "context.device.type")
    kind = device_type.strip().lower() if isinstance(device_type, str) else ""
    if kind in APPLE_DEVICES:
        return "apple"
    if kind in ANDROID_DEVICES:
        return "android"
    return ""


def _apply_mobile(message: dict[str, Any], family: str, params: dict[str, str]) -> list[str]:
    for path, parameter in MOBILE_REQUIRED:
        if _absent(_lookup(message, path)):
            raise ConversionRefused(f"{path} is required by Everflow ({parameter}) for mobile sources.")
    namespace = _lookup(message, "context.app.namespace")
    if not isinstance(namespace, str):
        raise _refuse("context.app.namespace", "app_id", Accepts.STRING, namespace)
    params["app_id"] = namespace.strip()
    device = _lookup(message, "context.device") or {}
    advertising_id = device.get("advertisingId")
    if isinstance(advertising_id, str) and advertising_id.strip():
        params["idfa" if family == "apple" else "google_aid"] = advertising_id.strip()
    device_id = device.get("id")
    if family == "android" and isinstance(device_id, str) and device_id.strip():
        params["android_id"] = device_id.strip()
    return [path for path in MOBILE_NOT_SENT if not _absent(_lookup(message, path))]


def everflow_conversion_params(
    message: dict[str, Any], *, network_id: str, adv_event_id: int
) -> tuple[dict[str, str], str]:
    """Query parameters in send order, and a note for support; raises ConversionRefused naming the field.

    ``adv_event_id`` is the brand (advertiser) event the connector's mapping names: seed 002's
    "Event Mapping refers to Advertiser (Brand) Events", which the postback takes as
    ``adv_event_id``. 0 is the base conversion, sent with no event parameter at all.
    """
    transaction_id, shortened = everflow_transaction_id(message)
    params = {"nid": network_id, "transaction_id": transaction_id}
    if adv_event_id:
        params["adv_event_id"] = str(adv_event_id)
    _apply_table(message, params)
    order, left_out = _order_detail(message, params)
    if order is not None:
        params["order"] = json.dumps(order, separators=(",", ":"))
    family = everflow_device_family(message)
    if family:
        left_out += _apply_mobile(message, family, params)
    notes = [shortened] if shortened else []
    if left_out:
        notes.append(f"Not sent (an Everflow postback has no parameter for them): {', '.join(left_out)}.")
    return params, " ".join(notes)
