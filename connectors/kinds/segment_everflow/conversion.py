"""A Segment track message → the query parameters of an Everflow server-to-server conversion.

The property tables are Everflow's own for its Segment destination ("All Sources" and "Mobile
Sources", seeds/002); each row gives the Segment path, the Everflow parameter, whether it is
required and the types accepted. Values of an accepted type are sent as text; anything else is
refused, naming the Segment path, because Everflow would drop or misread it.

Beyond the tables (spec §3.1, §5.3):

- ``transaction_id`` (required) comes from ``context.referrer.id`` when ``context.referrer.type``
  is ``everflow`` (Segment's convention), else ``properties.transactionId`` / ``transaction_id`` /
  ``tid``.
- ``amount`` is ``properties.total`` (the table), else ``revenue``, ``value``, ``price``; it must be
  a finite decimal. ``order_id`` is ``properties.orderId``, else ``properties.order_id``. ``email``
  is ``context.traits.email``, else ``properties.email``.
- A message is from a mobile source when ``context.device.type`` is an Apple or Android family
  name; the mobile table then applies too, and ``context.device.advertisingId`` is sent as ``idfa``
  (Apple) or ``google_aid`` (Android).
- ``limit_ad_tracking`` is the inverse of Segment's ``context.device.adTrackingEnabled``.
- ``connection_type`` is ``wifi`` when ``context.network.wifi`` is true, ``cellular`` when it is
  false and ``context.network.cellular`` is true; a text value is sent as is.
"""

import enum
import math
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any


class ConversionRefused(ValueError):
    """The message cannot become a conversion; the message names the Segment field."""


class Accepts(enum.Enum):
    STRING = "a string"
    STRING_NUMBER = "a string or a number"
    STRING_NUMBER_BOOLEAN = "a string, a number or true/false"
    NUMBER = "a number"
    BOOLEAN = "true or false"


ALL_SOURCES: tuple[tuple[str, str, bool, Accepts], ...] = (
    ("context.ip", "conversion_user_ip", False, Accepts.STRING),
    ("context.userAgent", "http_user_agent", False, Accepts.STRING),
    ("context.traits.email", "email", False, Accepts.STRING),
    ("properties.adv1", "adv1", False, Accepts.STRING_NUMBER_BOOLEAN),
    ("properties.adv2", "adv2", False, Accepts.STRING_NUMBER_BOOLEAN),
    ("properties.adv3", "adv3", False, Accepts.STRING_NUMBER_BOOLEAN),
    ("properties.adv4", "adv4", False, Accepts.STRING_NUMBER_BOOLEAN),
    ("properties.adv5", "adv5", False, Accepts.STRING_NUMBER_BOOLEAN),
    ("properties.coupon", "coupon_code", False, Accepts.STRING_NUMBER),
    ("properties.orderId", "order_id", False, Accepts.NUMBER),
    ("properties.affiliateId", "affiliate_id", False, Accepts.NUMBER),
    ("properties.total", "amount", False, Accepts.NUMBER),
)
# Per element i of properties.products.
LINE_ITEMS: tuple[tuple[str, str, Accepts], ...] = (
    ("quantity", "quantity", Accepts.NUMBER),
    ("name", "name", Accepts.STRING),
    ("sku", "sku", Accepts.STRING),
)
MOBILE_SOURCES: tuple[tuple[str, str, bool, Accepts], ...] = (
    ("context.ip", "conversion_user_ip", True, Accepts.STRING),
    ("context.app.namespace", "app_id", True, Accepts.STRING),
    ("context.device.adTrackingEnabled", "limit_ad_tracking", False, Accepts.BOOLEAN),
    ("context.app.name", "app_name", False, Accepts.STRING),
    ("context.app.version", "app_version", False, Accepts.STRING_NUMBER),
    ("context.device.manufacturer", "device_make", False, Accepts.STRING),
    ("context.device.model", "device_model", False, Accepts.STRING),
    ("context.network.carrier", "carrier", False, Accepts.STRING),
    ("context.os.name", "os", False, Accepts.STRING),
    ("context.os.version", "os_version", False, Accepts.STRING_NUMBER),
    ("context.network.wifi", "connection_type", False, Accepts.STRING),
    ("context.location.latitude", "latitude", False, Accepts.NUMBER),
    ("context.location.longitude", "longitude", False, Accepts.NUMBER),
)
# Where a table row has a fallback in the conventions other senders use (spec §3.3).
FALLBACKS = {
    "properties.total": ("properties.revenue", "properties.value", "properties.price"),
    "properties.orderId": ("properties.order_id",),
    "context.traits.email": ("properties.email",),
}
APPLE_DEVICES = frozenset({"ios", "ipados", "tvos", "watchos", "macos"})
ANDROID_DEVICES = frozenset({"android"})
TRANSACTION_ID_PROPERTIES = ("transactionId", "transaction_id", "tid")


def _lookup(message: dict, path: str) -> Any:
    value: Any = message
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _absent(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _number_text(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format(Decimal(repr(value)).normalize(), "f") if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            return None
        return format(number.normalize(), "f") if number.is_finite() else None
    return None


def _coerce(value: Any, accepts: Accepts) -> str | None:
    """The value as query text, or None when the table does not accept it."""
    if accepts is Accepts.NUMBER:
        return _number_text(value)
    if accepts is Accepts.BOOLEAN:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower()
        return None
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return ("true" if value else "false") if accepts is Accepts.STRING_NUMBER_BOOLEAN else None
    if accepts in (Accepts.STRING_NUMBER, Accepts.STRING_NUMBER_BOOLEAN):
        return _number_text(value)
    return None


def _refuse(path: str, parameter: str, accepts: Accepts, value: Any) -> ConversionRefused:
    shown = json_short(value)
    return ConversionRefused(f"{path} ({shown}) must be {accepts.value} for Everflow's {parameter}.")


def json_short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _special(message: dict, path: str) -> Callable[[Any], Any] | None:
    if path == "context.device.adTrackingEnabled":
        return lambda value: (not value) if isinstance(value, bool) else value
    if path == "context.network.wifi":
        cellular = _lookup(message, "context.network.cellular") is True

        def connection(value: Any) -> Any:
            if value is True:
                return "wifi"
            if value is False:
                return "cellular" if cellular else None
            return value

        return connection
    return None


def _apply_table(message: dict, table, params: dict[str, str]) -> None:
    for path, parameter, required, accepts in table:
        source, value = path, _lookup(message, path)
        for fallback in FALLBACKS.get(path, ()):
            if not _absent(value):
                break
            source, value = fallback, _lookup(message, fallback)
        adjust = _special(message, path)
        if adjust is not None:
            value = adjust(value)
        if _absent(value):
            if required:
                raise ConversionRefused(f"{path} is required by Everflow ({parameter}) for mobile sources.")
            continue
        text = _coerce(value, accepts)
        if text is None:
            raise _refuse(source, parameter, accepts, value)
        params[parameter] = text


def _apply_line_items(message: dict, params: dict[str, str]) -> None:
    products = _lookup(message, "properties.products")
    if _absent(products):
        return
    if not isinstance(products, list):
        raise ConversionRefused("properties.products must be a list of products.")
    for index, product in enumerate(products):
        if not isinstance(product, dict):
            raise ConversionRefused(f"properties.products[{index}] must be an object.")
        for key, parameter, accepts in LINE_ITEMS:
            value = product.get(key)
            if _absent(value):
                continue
            name = f"order_line_items[{index}].{parameter}"
            text = _coerce(value, accepts)
            if text is None:
                raise _refuse(f"properties.products[{index}].{key}", name, accepts, value)
            params[name] = text


def everflow_transaction_id(message: dict) -> str:
    referrer = _lookup(message, "context.referrer")
    candidates: list[tuple[str, Any]] = []
    if isinstance(referrer, dict) and referrer.get("type") == "everflow":
        candidates.append(("context.referrer.id", referrer.get("id")))
    candidates += [
        (f"properties.{name}", _lookup(message, f"properties.{name}")) for name in TRANSACTION_ID_PROPERTIES
    ]
    for path, value in candidates:
        if _absent(value):
            continue
        text = _coerce(value, Accepts.STRING_NUMBER)
        if text is None:
            shown = json_short(value)
            raise ConversionRefused(f"{path} ({shown}) must be a string for Everflow's transaction_id.")
        return text
    raise ConversionRefused(
        'transaction_id is required by Everflow: set context.referrer to {"type": "everflow", "id": '
        "<EF.getAdvertiserTransactionId()>}, or send properties.transaction_id."
    )


def everflow_device_family(message: dict) -> str:
    """``apple``, ``android`` or "" (not a mobile source)."""
    device_type = _lookup(message, "context.device.type")
    kind = device_type.strip().lower() if isinstance(device_type, str) else ""
    if kind in APPLE_DEVICES:
        return "apple"
    if kind in ANDROID_DEVICES:
        return "android"
    return ""


def everflow_conversion_params(message: dict, *, network_id: str, event_id: int) -> dict[str, str]:
    """Query parameters in send order; raises ConversionRefused naming the field.

    ``event_id`` 0 is the base conversion and is not sent (a postback without one is a base
    conversion).
    """
    params = {"nid": network_id, "transaction_id": everflow_transaction_id(message)}
    if event_id:
        params["event_id"] = str(event_id)
    _apply_table(message, ALL_SOURCES, params)
    _apply_line_items(message, params)
    family = everflow_device_family(message)
    if family:
        _apply_table(message, MOBILE_SOURCES, params)
        advertising_id = _lookup(message, "context.device.advertisingId")
        if isinstance(advertising_id, str) and advertising_id.strip():
            params["idfa" if family == "apple" else "google_aid"] = advertising_id.strip()
    return params
