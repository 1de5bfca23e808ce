"""Sandbox Voucherify at ``/sandbox/voucherify``: the endpoints EE Connect calls, refusing what the
real ones refuse.

Documents followed:

- Segment integration endpoints, ``POST /segmentio/{customer,event,group}-processing``: the
  contract of Segment's own Voucherify destination (segmentio/action-destinations
  ``packages/destination-actions/src/destinations/voucherify/``: ``index.ts`` for the headers,
  ``upsertCustomer``, ``addCustomEvent`` and ``assignCustomerToGroup`` for the bodies).
  Authentication is ``authorization: Basic base64(application id)`` plus ``secret-key:
  base64(secret key)``. Voucherify's own validation behind these endpoints is not public; the fake
  takes exactly the fields the destination's schemas let Segment send (``null`` where the
  destination allows it) and refuses an unknown field, a missing required one or a wrong type.
  What it stores follows Voucherify's Segment page (docs ``integrations/segment.mdx``): only
  customer metadata the schema defines, with values of the defined type; ``first_name`` and
  ``last_name`` merged into ``name``; ``null`` clears a value; group traits go into the
  customer's metadata under the same rule.
- ``GET /v1/metadata-schemas/{resource}``: Voucherify's OpenAPI (``metadata-schemas.json``,
  ``get-metadata-schema``), with ``X-App-Id``/``X-App-Token``. The sandbox project defines
  :data:`CUSTOMER_METADATA_SCHEMA` for ``customer`` and no other resource.
- Errors: Voucherify's API reference ``errors.mdx``: ``{"code", "key", "message", "details"}``;
  another path is 404, another method 405 naming the allowed one, a body that is not JSON 415.
"""

import base64
import math
import uuid
from datetime import date, datetime
from typing import Any, TypeAlias, cast

from django.urls import re_path
from django.utils import timezone

from connectors.sandbox import views
from connectors.sandbox.credentials import VOUCHERIFY_APP_ID, VOUCHERIFY_APP_TOKEN
from connectors.sandbox.services import Call, Reply, sandbox_record_find, sandbox_record_put
from connectors.sandbox.upstreams import SandboxUpstream

NAME = "voucherify"

PREFIX = "/sandbox/voucherify"
_ANY_METHOD = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _definition(kind: str, *, array: bool = False, deleted: bool = False) -> dict[str, Any]:
    definition = {"type": kind, "array": array, "optional": True, "objectType": None}
    return {**definition, "deleted": True} if deleted else definition


CUSTOMER_METADATA_SCHEMA: dict[str, Any] = {
    "id": "ms_Sandbox0Customer0Schema",
    "related_object": "customer",
    "properties": {
        "tier": _definition("string"),
        "vip": _definition("boolean"),
        "visits": _definition("number"),
        "tags": _definition("string", array=True),
        "joined": _definition("date"),
        "last_order_at": _definition("datetime"),
        "plan": _definition("string"),
        "home": _definition("geopoint"),
        "legacy_segment": _definition("string", deleted=True),
    },
    "allow_defined_only": False,
    "created_at": "2024-01-10T09:00:00.000Z",
    "updated_at": "2024-02-01T09:00:00.000Z",
    "object": "metadata_schema",
}

# Field → (type, required, nullable, sub-fields for an object whose keys are checked). Types and
# allowNull as the destination's action fields declare them.
_Field: TypeAlias = tuple[str, bool, bool, "_Spec | None"]
_Spec: TypeAlias = dict[str, _Field]
_NULLABLE_TEXT = ("string", False, True, None)
CUSTOMER_BODY: _Spec = {
    "source_id": ("string", True, False, None),
    "name": _NULLABLE_TEXT,
    "first_name": _NULLABLE_TEXT,
    "last_name": _NULLABLE_TEXT,
    "description": _NULLABLE_TEXT,
    "email": _NULLABLE_TEXT,
    "phone": _NULLABLE_TEXT,
    "birthdate": _NULLABLE_TEXT,
    "address": (
        "object", False, False, dict.fromkeys(("city", "state", "postal_code", "street", "country"), _NULLABLE_TEXT)
    ),
    "metadata": ("object", False, True, None),
    "type": ("string", True, False, None),
}
_TEXT = ("string", False, False, None)
_CUSTOMER_REF: _Field = ("object", True, False, {"source_id": ("string", True, False, None), "email": _TEXT})
EVENT_BODY: _Spec = {
    "customer": _CUSTOMER_REF,
    "referral": ("object", False, False, {"code": _TEXT, "referrer_id": _TEXT}),
    "loyalty": ("object", False, False, {"code": _TEXT}),
    "metadata": ("object", False, False, None),
    "event": ("string", True, False, None),
    "type": ("string", True, False, None),
}
GROUP_BODY: _Spec = {
    "customer": _CUSTOMER_REF,
    "group_id": ("string", True, False, None),
    "traits": ("object", False, False, None),
    "type": ("string", True, False, None),
}
# Voucherify customer address fields for what the destination calls street.
_ADDRESS_STORED = {"street": "line_1"}


def _error(status: int, key: str, message: str, details: str) -> Reply:
    return Reply(status=status, body={"code": status, "key": key, "message": message, "details": details})


def _invalid(details: str) -> Reply:
    return _error(400, "invalid_payload", "Invalid payload", details)


def _base64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _integration_refusal(call: Call) -> Reply | None:
    if call.header("authorization") != f"Basic {_base64(VOUCHERIFY_APP_ID)}" or call.header(
        "secret-key"
    ) != _base64(VOUCHERIFY_APP_TOKEN):
        return _error(
            401, "unauthorized", "Unauthorized",
            "Invalid authorization (Basic base64 of the application id) or secret-key (base64 of the secret key).",
        )
    return None


def _api_refusal(call: Call) -> Reply | None:
    if call.header("X-App-Id") != VOUCHERIFY_APP_ID or call.header("X-App-Token") != VOUCHERIFY_APP_TOKEN:
        return _error(401, "unauthorized", "Unauthorized", "Invalid X-App-Id or X-App-Token.")
    return None


def _type_error(value: Any, kind: str) -> bool:
    return not isinstance(value, str if kind == "string" else dict)


def _body_error(body: dict[str, Any], spec: _Spec, prefix: str = "") -> str:
    """The first reason the body does not fit ``spec``, naming the field; "" when it fits."""
    for name in body:
        if name not in spec:
            return f"Unknown property {prefix}{name}."
    for name, (kind, required, nullable, fields) in spec.items():
        if name not in body:
            if required:
                return f"{prefix}{name} is required."
            continue
        value = body[name]
        if value is None and nullable:
            continue
        if _type_error(value, kind):
            return f"{prefix}{name} must be {'a string' if kind == 'string' else 'an object'}."
        if required and kind == "string" and not value.strip():
            return f"{prefix}{name} cannot be empty."
        if fields is not None:
            error = _body_error(value, fields, f"{prefix}{name}.")
            if error:
                return error
    return ""


def _json_body(call: Call, spec: _Spec) -> dict[str, Any] | Reply:
    if not call.header("Content-Type").startswith("application/json"):
        return _error(415, "unsupported_media_type", "Unsupported Media Type", "Send application/json.")
    try:
        body = call.json()
    except ValueError:
        return _invalid("The body is not valid JSON.")
    if not isinstance(body, dict):
        return _invalid("The body must be a JSON object.")
    error = _body_error(body, spec)
    return _invalid(error) if error else body


def _is_date(value: Any) -> bool:
    try:
        date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return False
    return True


_CHECKS = {
    "string": lambda v: isinstance(v, str),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v),
    "boolean": lambda v: isinstance(v, bool),
    "date": lambda v: isinstance(v, str) and len(v) == 10 and _is_date(v),
    "datetime": lambda v: isinstance(v, str) and len(v) > 10 and _is_date(v),
    "object": lambda v: isinstance(v, dict),
}


def _defined_value(key: str, value: Any) -> bool:
    """Whether Voucherify's Segment integration stores this metadata value (segment.mdx)."""
    definition = CUSTOMER_METADATA_SCHEMA["properties"].get(key)
    if definition is None or definition.get("deleted"):
        return False
    if value is None:
        return True
    check = _CHECKS.get(definition["type"])
    if check is None:
        return False
    if definition["array"]:
        return isinstance(value, list) and all(check(item) for item in value)
    return check(value)


def _metadata_merge(stored: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    merged = dict(stored)
    for key, value in given.items():
        if not _defined_value(key, value):
            continue
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def _customer_get(source_id: str) -> dict[str, Any]:
    now = timezone.now().isoformat()
    return sandbox_record_find(upstream=NAME, key=f"customer:{source_id}") or {
        "id": f"cust_{uuid.uuid4().hex[:24]}",
        "source_id": source_id,
        "name": None,
        "description": None,
        "email": None,
        "phone": None,
        "birthdate": None,
        "address": dict.fromkeys(("city", "state", "line_1", "line_2", "country", "postal_code")),
        "metadata": {},
        "object": "customer",
        "created_at": now,
    }


def _customer_put(customer: dict[str, Any]) -> dict[str, Any]:
    customer = {**customer, "updated_at": timezone.now().isoformat()}
    sandbox_record_put(upstream=NAME, key=f"customer:{customer['source_id']}", data=customer)
    return customer


def _name(body: dict[str, Any], stored: str | None) -> str | None:
    if "name" in body:
        return cast(str | None, body["name"])  # CUSTOMER_BODY lets only a string or null through
    if "first_name" in body or "last_name" in body:
        parts = [body.get("first_name"), body.get("last_name")]
        return " ".join(part for part in parts if part) or None
    return stored


def voucherify_customer_processing(call: Call) -> Reply:
    body = _json_body(call, CUSTOMER_BODY)
    if isinstance(body, Reply):
        return body
    if body.get("birthdate") is not None and not _is_date(body["birthdate"]):
        return _invalid("birthdate must be a date (YYYY-MM-DD) or an ISO 8601 date-time.")
    customer = _customer_get(body["source_id"])
    customer["name"] = _name(body, customer["name"])
    for field in ("description", "email", "phone"):
        customer[field] = body.get(field, customer[field])
    if "birthdate" in body:
        customer["birthdate"] = body["birthdate"] and body["birthdate"][:10]
    for field, value in (body.get("address") or {}).items():
        customer["address"][_ADDRESS_STORED.get(field, field)] = value
    if "metadata" in body:
        given = body["metadata"] if body["metadata"] is not None else dict.fromkeys(customer["metadata"])
        customer["metadata"] = _metadata_merge(customer["metadata"], given)
    return Reply(status=200, body=_customer_put(customer))


def voucherify_event_processing(call: Call) -> Reply:
    body = _json_body(call, EVENT_BODY)
    if isinstance(body, Reply):
        return body
    customer = _customer_get(body["customer"]["source_id"])
    if body["customer"].get("email") and not customer["email"]:
        customer["email"] = body["customer"]["email"]
    customer = _customer_put(customer)
    event = {
        "id": f"evcus_{uuid.uuid4().hex[:20]}",
        "object": "event",
        "type": body["event"],
        "customer": {"id": customer["id"], "source_id": customer["source_id"], "object": "customer"},
        "referral": body.get("referral"),
        "loyalty": body.get("loyalty"),
        "metadata": body.get("metadata") or {},
    }
    return Reply(status=200, body=event)


def voucherify_group_processing(call: Call) -> Reply:
    body = _json_body(call, GROUP_BODY)
    if isinstance(body, Reply):
        return body
    customer = _customer_get(body["customer"]["source_id"])
    customer["metadata"] = _metadata_merge(customer["metadata"], body.get("traits") or {})
    customer = _customer_put(customer)
    group = {"group_id": body["group_id"], "traits": body.get("traits") or {}, "customer_id": customer["id"]}
    sandbox_record_put(
        upstream=NAME, key=f"group:{customer['source_id']}:{body['group_id']}", data=group
    )
    return Reply(status=200, body={**group, "customer": customer})


def voucherify_metadata_schema(call: Call, resource: str) -> Reply:
    refusal = _api_refusal(call)
    if refusal:
        return refusal
    if resource != "customer":
        return _error(404, "not_found", "Resource not found", f"Cannot find metadata_schema with id {resource}")
    return Reply(status=200, body=CUSTOMER_METADATA_SCHEMA)


# Path under PREFIX → its handler (every one a POST).
_INTEGRATION = {
    "/segmentio/customer-processing": voucherify_customer_processing,
    "/segmentio/event-processing": voucherify_event_processing,
    "/segmentio/group-processing": voucherify_group_processing,
}
_METADATA_SCHEMAS = "/v1/metadata-schemas/"


def _not_allowed(call: Call, allowed: str) -> Reply:
    return _error(
        405, "method_not_allowed", "HTTP Method Not Allowed",
        f"{call.method} is not supported by this endpoint. Did you mean {allowed}?",
    )


def voucherify_route(call: Call) -> Reply:
    """Every request under the prefix: the endpoint it names, else Voucherify's 404 or 405."""
    path = call.path.split("?", 1)[0].removeprefix(PREFIX)
    if path in _INTEGRATION:
        if call.method != "POST":
            return _not_allowed(call, "POST")
        return _integration_refusal(call) or _INTEGRATION[path](call)
    resource = path.removeprefix(_METADATA_SCHEMAS)
    if path.startswith(_METADATA_SCHEMAS) and resource and "/" not in resource:
        if call.method != "GET":
            return _not_allowed(call, "GET")
        return voucherify_metadata_schema(call, resource)
    return _error(404, "not_found", "Resource not found", f"{call.method} {path} is not a Voucherify endpoint.")


urls = [
    # Non-capturing, so the view takes the request alone; /received and /behaviour match before it.
    re_path(
        r"^voucherify/(?:.*)$",
        views.upstream_endpoint(upstream=NAME, handle=voucherify_route, methods=_ANY_METHOD),
        name="sandbox-voucherify",
    ),
]

UPSTREAM = SandboxUpstream(
    name=NAME,
    label="Voucherify",
    credentials={"app_id": VOUCHERIFY_APP_ID, "app_token": VOUCHERIFY_APP_TOKEN},
    urls=urls,
)
