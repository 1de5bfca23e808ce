"""Sandbox Voucherify, Everflow and Perkville APIs (spec/voucherify-everflow-perkville.md §2 to §5).

Voucherify, at ``/sandbox/voucherify`` (``X-App-Id`` / ``X-App-Token``, else 401):
    ``POST /v1/customers`` upserts on ``source_id`` (a customer without one is always new) and
    answers 200 with the customer; ``POST /v1/events`` needs ``event`` and a ``customer`` with a
    ``source_id`` or ``id``, creates the customer when unknown, and answers 200 with the event.
    Errors use Voucherify's ``{"code", "key", "message", "details"}``.

Everflow, at ``/sandbox/everflow/`` (server postback, ``GET`` with query parameters):
    ``nid`` must be ``credentials.EVERFLOW_NETWORK_ID`` (else 400, error code 11); no
    ``transaction_id`` is a rejected conversion: 204 with an empty body; otherwise 200
    ``{"result": "success", "conversion_id"}``. A repeated (``transaction_id``, ``event_id``) is a
    duplicate conversion: 200 with ``{"code": 8, "error": ...}``, as Everflow answers it.

Perkville, at ``/sandbox/perkville`` (``Authorization: Bearer <token>``, else 401):
    ``POST /v2/transactions/`` takes a JSON object and answers 201 with it and an ``id``. The real
    field names are unconfirmed (spec §4.2), so any object is accepted; a repeated
    ``trans_source_id`` answers the first transaction again with 200 and awards nothing.
"""

import uuid
from typing import Any

from django.utils import timezone

from connectors.sandbox.credentials import (
    EVERFLOW_NETWORK_ID,
    PERKVILLE_TOKEN,
    VOUCHERIFY_APP_ID,
    VOUCHERIFY_APP_TOKEN,
)
from connectors.sandbox.models import Upstream
from connectors.sandbox.services import (
    Call,
    Reply,
    sandbox_record_find,
    sandbox_record_keep,
    sandbox_record_put,
)

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


def everflow_postback(call: Call) -> Reply:
    if call.query.get("nid") != EVERFLOW_NETWORK_ID:
        return Reply(status=400, body={"code": 11, "error": "Invalid network ID"})
    transaction_id = call.query.get("transaction_id", "")
    if not transaction_id:
        return Reply(status=204)
    event_id = call.query.get("event_id") or "0"
    conversion = {"result": "success", "conversion_id": uuid.uuid4().hex[:12]}
    kept, created = sandbox_record_keep(
        upstream=Upstream.EVERFLOW, key=f"{transaction_id}:{event_id}", data=conversion, group=transaction_id
    )
    if not created:
        return Reply(
            status=200,
            body={"code": 8, "error": "Duplicate conversion", "conversion_id": kept["conversion_id"]},
        )
    return Reply(status=200, body=conversion)


def perkville_transactions(call: Call) -> Reply:
    if call.header("Authorization") != f"Bearer {PERKVILLE_TOKEN}":
        return Reply(status=401, body={"detail": "Invalid or missing bearer token."})
    try:
        body = call.json()
    except ValueError:
        return Reply(status=400, body={"detail": "The body is not valid JSON."})
    if not isinstance(body, dict):
        return Reply(status=400, body={"detail": "The body must be a JSON object."})
    source_id = body.get("trans_source_id")
    key = f"transaction:{source_id}" if source_id else f"transaction-id:{uuid.uuid4().hex}"
    transaction: dict[str, Any] = {
        **body,
        "id": uuid.uuid4().int % 10**9,
        "created_at": timezone.now().isoformat(),
    }
    kept, created = sandbox_record_keep(upstream=Upstream.PERKVILLE, key=key, data=transaction)
    return Reply(status=201 if created else 200, body=kept)
