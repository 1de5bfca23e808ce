"""Reading the values of an AIR notification: objects, lists, numbers, ids, dates and money.

Each reader takes the value and its path in the notification, and refuses a value of the wrong type
with ``PayloadInvalid`` naming that path; a value AIR sends as ``null`` is absent. Money: AIR amounts
are in minor units, converted by the connector's :func:`money_converter`.
"""

import json
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, cast

from babel.numbers import get_currency_precision

from connectors.kinds.base import ConnectorConfig, FieldError, PayloadInvalid

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


def invalid(path: str, message: str) -> PayloadInvalid:
    return PayloadInvalid([FieldError(path, message)])


def as_object(value: Any, path: str) -> dict[str, Any]:
    """An object, ``{}`` for null or ``[]`` (AIR's PHP encodes an empty map as ``[]``); anything
    else is refused."""
    if value is None or value == []:
        return {}
    if not isinstance(value, dict):
        raise invalid(path, "Must be an object.")
    return value


def as_list(value: Any, path: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise invalid(path, "Must be a list.")
    return value


def as_number(value: Any, path: str) -> int | float | None:
    """An amount or a count: a JSON number, or null."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise invalid(path, "Must be a number.")
    return cast(int | float, value)  # a number, as checked above


def as_text(value: Any, path: str) -> str | None:
    """An id or a name: a string (AIR sends some ids as numbers: kept as their digits), or null."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise invalid(path, "Must be a string.")
    return str(value)


def as_date(value: Any, path: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise invalid(path, "Must be a date and time string.")
    try:
        return iso_utc(value)
    except ValueError:
        raise invalid(path, "Must be a date and time such as 2025-01-29T19:40:48+00:00.") from None


def json_unwrap(value: Any) -> Any:
    """AIR sends request bodies as strings, sometimes JSON-encoded twice."""
    for _ in range(2):
        if not isinstance(value, str):
            return value
        try:
            value = json.loads(value)
        except ValueError:
            return None
    return value


def object_type_name(name: Any) -> str:
    """``WALLET_ACCOUNT_TRANSACTION_ENTITY`` → ``walletAccountTransactionEntity`` (AIR spells both)."""
    if not isinstance(name, str) or "_" not in name:
        return name if isinstance(name, str) else ""
    first, *rest = name.lower().split("_")
    return first + "".join(part.capitalize() for part in rest)
