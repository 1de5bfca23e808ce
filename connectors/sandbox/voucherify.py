"""Sandbox Voucherify API (spec/voucherify-everflow-perkville.md §2), at ``/sandbox/voucherify``.

``X-App-Id`` / ``X-App-Token``, else 401. ``POST /v1/customers`` upserts on ``source_id`` (a
customer without one is always new) and answers 200 with the customer; ``POST /v1/events`` needs
``event`` and a ``customer`` with a ``source_id`` or ``id``, creates the customer when unknown, and
answers 200 with the event. Errors use Voucherify's ``{"code", "key", "message", "details"}``.
"""

import uuid

from django.urls import path
from django.utils import timezone

from connectors.sandbox import views
from connectors.sandbox.credentials import VOUCHERIFY_APP_ID, VOUCHERIFY_APP_TOKEN
from connectors.sandbox.models import Upstream
from connectors.sandbox.services import Call, Reply, sandbox_record_find, sandbox_record_put

_CUSTOMER_FIELDS = ("name", "description", "email", "phone", "birthdate", "birthday", "address", "metadata")


def _voucherify_error(status: int, key: str, message: str, details: str) -> Reply:
    return Reply(status=status, body={"code": status, "key": key, "message": message, "details": details})


def _voucherify_body(call: Call) -> dict | Reply:
    if call.header("X-App-Id") != VOUCHERIFY_APP_ID or call.header("X-App-Token") != VOUCHERIFY_APP_TOKEN:
        return _voucherify_error(401, "unauthorized", "Unauthorized", "Invalid X-App-Id or X-App-Token.")
    try:
        body = call.json()
    except ValueError:
        return _voucherify_error(400, "invalid_payload", "Invalid payload", "The body is not valid JSON.")
    if not isinstance(body, dict):
        return _voucherify_error(400, "invalid_payload", "Invalid payload", "The body must be a JSON object.")
    return body


def _customer_upsert(fields: dict) -> dict:
    source_id = fields.get("source_id")
    key = f"customer:{source_id}" if source_id else f"customer-id:{uuid.uuid4().hex}"
    now = timezone.now().isoformat()
    existing = sandbox_record_find(upstream=Upstream.VOUCHERIFY, key=key)
    if existing is None:
        existing = {
            "id": f"cust_{uuid.uuid4().hex[:24]}",
            "source_id": source_id,
            "metadata": {},
            "object": "customer",
            "created_at": now,
        }
    given = {name: fields[name] for name in _CUSTOMER_FIELDS if name in fields}
    customer = {**existing, **given, "updated_at": now}
    sandbox_record_put(upstream=Upstream.VOUCHERIFY, key=key, data=customer)
    return customer


def voucherify_customers(call: Call) -> Reply:
    body = _voucherify_body(call)
    if isinstance(body, Reply):
        return body
    return Reply(status=200, body=_customer_upsert(body))


def voucherify_events(call: Call) -> Reply:
    body = _voucherify_body(call)
    if isinstance(body, Reply):
        return body
    customer = body.get("customer")
    if not body.get("event") or not isinstance(body["event"], str):
        return _voucherify_error(400, "invalid_payload", "Invalid payload", "event is required.")
    if not isinstance(customer, dict) or not (customer.get("source_id") or customer.get("id")):
        return _voucherify_error(400, "invalid_payload", "Invalid payload", "customer.source_id is required.")
    stored = _customer_upsert(customer)
    event = {
        "object": "event",
        "type": body["event"],
        "customer": {"id": stored["id"], "source_id": stored["source_id"], "object": "customer"},
        "referral": body.get("referral"),
        "loyalty": body.get("loyalty"),
        "metadata": body.get("metadata") or {},
    }
    return Reply(status=200, body=event)


urls = [
    path(
        "voucherify/v1/customers",
        views.upstream_endpoint(upstream=Upstream.VOUCHERIFY, handle=voucherify_customers),
        name="sandbox-voucherify-customers",
    ),
    path(
        "voucherify/v1/events",
        views.upstream_endpoint(upstream=Upstream.VOUCHERIFY, handle=voucherify_events),
        name="sandbox-voucherify-events",
    ),
]
