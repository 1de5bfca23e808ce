"""Customer metadata checked against the connector's copy of the Voucherify metadata schema.

Voucherify's Segment integration updates only customer metadata keys defined in Project Settings,
and only with values of the defined type; anything else is dropped (seed 001, spec §2.4). The
connector setting ``metadata_schema`` lists those keys: ``{"tier": "string", "vip": "boolean"}``.

Types: ``string``, ``number``, ``boolean`` (also ``flag``), ``date`` (YYYY-MM-DD), ``datetime``
(ISO 8601), ``image_url`` (http/https URL), ``object``; a type ending in ``[]`` (``"string[]"``)
is a list whose every element has that type.
"""

import math
from datetime import date, datetime
from typing import Any


def _is_date(value: Any) -> bool:
    if not isinstance(value, str) or len(value) != 10:
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _is_datetime(value: Any) -> bool:
    if not isinstance(value, str) or len(value) < 11:
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


CHECKS = {
    "string": lambda value: isinstance(value, str),
    "number": lambda value: (
        isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    ),
    "boolean": lambda value: isinstance(value, bool),
    "flag": lambda value: isinstance(value, bool),
    "date": _is_date,
    "datetime": _is_datetime,
    "image_url": lambda value: isinstance(value, str) and value.startswith(("https://", "http://")),
    "object": lambda value: isinstance(value, dict),
}


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    return "null"


def _matches(value: Any, declared: str) -> bool | None:
    """True/False, or None when the declared type is not one this connector knows."""
    if declared.endswith("[]"):
        check = CHECKS.get(declared[:-2])
        if check is None:
            return None
        return isinstance(value, list) and all(check(item) for item in value)
    check = CHECKS.get(declared)
    return None if check is None else check(value)


def voucherify_metadata_filter(metadata: dict[str, Any], *, schema: dict[str, Any]) -> tuple[dict, list[str]]:
    """(metadata to send, one note per key left out and why)."""
    kept: dict[str, Any] = {}
    dropped: list[str] = []
    for key, value in metadata.items():
        if value is None:
            continue
        declared = schema.get(key)
        if not isinstance(declared, str):
            dropped.append(f"{key} (not in the metadata schema)")
            continue
        declared = declared.strip().lower()
        matches = _matches(value, declared)
        if matches is None:
            dropped.append(f"{key} (schema type {declared!r} is not one the connector can check)")
        elif not matches:
            dropped.append(f"{key} (expected {declared}, got {_type_name(value)})")
        else:
            kept[key] = value
    return kept, dropped
