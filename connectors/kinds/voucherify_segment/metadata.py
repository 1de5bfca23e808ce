"""Customer metadata checked against the project's Voucherify metadata schema.

Voucherify's Segment integration updates only customer metadata keys defined in Project Settings,
and only with values of the defined type; anything else is omitted (seed 001; Voucherify docs
``integrations/segment.mdx``). This connector leaves out the same keys before sending, so each one
can be named in a note on the delivery rather than vanish inside Voucherify.

The schema is the one Voucherify holds, read with ``GET /v1/metadata-schemas/customer``
(Voucherify OpenAPI ``metadata-schemas.json``, operation ``get-metadata-schema``) and kept in the
setting ``voucherify_metadata_schema`` as ``{"read_at", "schema_id", "properties": {key: type}}``;
the hand-entered setting ``metadata_schema`` (``{"tier": "string"}``) overrides it key by key.

Types are Voucherify's (``MetadataSchemaDefinitionDeprecated.type``): ``string``, ``number``,
``boolean`` (the dashboard's "Flag"; ``flag`` is read too), ``date`` (YYYY-MM-DD), ``datetime``
(ISO 8601), ``image_url`` (http/https URL), ``object``, ``geopoint``; a definition with
``array: true`` is written ``"<type>[]"``, a list whose every element has that type.
"""

import json
import math
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from connectors.kinds.base import ConnectorConfig, PreparedRequest

FETCHED_SETTING = "voucherify_metadata_schema"
OVERRIDE_SETTING = "metadata_schema"


def _is_date(value: Any) -> bool:
    if not isinstance(value, str) or len(value) != 10:
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _is_datetime(value: Any) -> bool:
    # A date as ``date`` wants it (YYYY-MM-DD), then its time: Python reads more forms than that
    # (the basic 20240301T10, a date alone), which a date field would refuse too.
    if not isinstance(value, str) or not _is_date(value[:10]) or value[10:11] not in ("T", " "):
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


CHECKS: dict[str, Callable[[Any], bool]] = {
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


def voucherify_metadata_filter(
    metadata: dict[str, Any], *, schema: Mapping[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """(metadata to send, one note per key left out and why). A defined key set to ``None`` is
    kept: it clears the value in Voucherify."""
    kept: dict[str, Any] = {}
    dropped: list[str] = []
    for key, value in metadata.items():
        declared = schema.get(key)
        if not isinstance(declared, str):
            dropped.append(f"{key} (not in the metadata schema)")
            continue
        declared = declared.strip().lower()
        if value is None:
            kept[key] = None
            continue
        matches = _matches(value, declared)
        if matches is None:
            dropped.append(f"{key} (schema type {declared!r} is not one the connector can check)")
        elif not matches:
            dropped.append(f"{key} (expected {declared}, got {_type_name(value)})")
        else:
            kept[key] = value
    return kept, dropped


class SchemaUnavailable(Exception):
    """Voucherify did not give the customer metadata schema; the message says why, for staff."""


def voucherify_schema_effective(settings: Mapping[str, Any]) -> dict[str, str]:
    """The schema read from Voucherify, each key of the hand-entered override replacing its own."""
    fetched = settings.get(FETCHED_SETTING)
    properties = fetched.get("properties") if isinstance(fetched, dict) else None
    override = settings.get(OVERRIDE_SETTING)
    return {
        **(properties if isinstance(properties, dict) else {}),
        **(override if isinstance(override, dict) else {}),
    }


def voucherify_schema_request(config: ConnectorConfig) -> PreparedRequest:
    """``GET {API endpoint}/v1/metadata-schemas/customer`` with the public API's keys
    (``X-App-Id``/``X-App-Token``, the operation's security in Voucherify's OpenAPI)."""
    base = str(config.settings.get("voucherify_api_url") or "https://api.voucherify.io").rstrip("/")
    return PreparedRequest(
        method="GET",
        url=f"{base}/v1/metadata-schemas/customer",
        headers={
            "Accept": "application/json",
            "X-App-Id": str(config.settings.get("voucherify_app_id") or ""),
            "X-App-Token": config.secrets.get("voucherify_app_token", ""),
        },
        body=b"",
    )


def _definition_type(definition: Any) -> str:
    if not isinstance(definition, dict) or not isinstance(definition.get("type"), str):
        return ""
    declared: str = definition["type"]
    return declared + ("[]" if definition.get("array") is True else "")


def voucherify_schema_read(status: int, body: bytes) -> dict[str, str]:
    """The customer metadata definitions in Voucherify's answer, as ``{key: type}``; definitions
    marked ``deleted`` are not ones Voucherify accepts any more. Raises SchemaUnavailable."""
    try:
        answer = json.loads(body or b"null")
    except ValueError:
        answer = None
    if status == 401:
        raise SchemaUnavailable(
            "Voucherify refused the application id or secret key (HTTP 401); check them and the API endpoint."
        )
    if status == 404:
        raise SchemaUnavailable(
            "Voucherify has no customer metadata schema for this project (HTTP 404): define the customer "
            "metadata in Project Settings → Metadata Schema."
        )
    if status != 200 or not isinstance(answer, dict) or not isinstance(answer.get("properties"), dict):
        said = answer.get("message") if isinstance(answer, dict) else ""
        raise SchemaUnavailable(
            f"Voucherify did not return the customer metadata schema (HTTP {status})"
            + (f": {said}" if said else ".")
        )
    schema = {}
    for key, definition in answer["properties"].items():
        declared = _definition_type(definition)
        if declared and not definition.get("deleted"):
            schema[key] = declared
    return schema
