"""Sandbox Everflow, at ``/sandbox/everflow/``: the server postback on the tracking domain and the
Network API's conversion status update.

Documents followed (spec/voucherify-everflow-perkville.md §3.2 names them):

- The postback, ``GET /sandbox/everflow/?nid=…&transaction_id=…``: Everflow's help center
  ("Accessing & Editing S2S Postback URLs": ``nid`` and ``transaction_id`` at minimum; ``amount`` in
  the offer currency, ``12,34`` read as 12.34; "Conversions error code reference guide") and the
  parameters Everflow's JavaScript SDK sends to a conversion (everflow-io/everflow-sdk ``src/sdk.js``,
  ``conversion()``), with the server-side ones RudderStack's Everflow destination sends (``user_ip``,
  ``user_agent``, device ids). ``nid`` other than ``credentials.EVERFLOW_NETWORK_ID`` → 400
  ``{"code": 11, "error": "Invalid network ID"}``; no ``transaction_id`` → 204 with an empty body (a
  rejected conversion); a repeated conversion of one click (same ``adv_event_id``/``event_id``) →
  200 ``{"code": 8, "error": "Duplicate conversion", …}``; else 200 ``{"result": "success",
  "conversion_id", "transaction_id"}``.
  Stricter than Everflow on purpose: Everflow ignores a parameter it does not know, so a mis-named
  one would be lost without a word; here it is a 400 ``{"code": 0, "error": "Unknown parameter …"}``
  (code 0 is no Everflow code), as is a value of the wrong type, so a test of the sender fails.
- The API, ``PATCH /sandbox/everflow/api/v1/networks/reporting/conversions/{transactionId}``:
  developers.everflow.io "Update Conversion Status by Transaction ID". ``X-Eflow-API-Key`` must be
  ``credentials.EVERFLOW_API_KEY`` (else 401); the body is JSON with exactly ``conversion_status``, ``approved`` or
  ``rejected`` (else 400); a transaction with no conversion → 404; else 200 ``{"result": true}`` and
  the click's conversions take the status. The API's error body is not documented; ``{"error": …}``
  is used.

Any other path under ``/sandbox/everflow/`` is a 404, any other method a 405.
"""

import ipaddress
import json
import uuid
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import unquote

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from connectors.sandbox import views
from connectors.sandbox.credentials import EVERFLOW_API_KEY, EVERFLOW_NETWORK_ID
from connectors.sandbox.services import (
    Call,
    Reply,
    sandbox_record_group,
    sandbox_record_keep,
    sandbox_record_put,
)
from connectors.sandbox.upstreams import SandboxUpstream

NAME = "everflow"

MAX_TRANSACTION_ID_CHARS = 332  # the SDK never sends a longer one
STATUSES = ("approved", "rejected")
ORDER_KEYS = {"oid", "amt", "cc", "bs", "bc", "items"}
ORDER_ITEM_KEYS = {"ps", "vs", "qty", "p"}


def _whole(value: str) -> bool:
    return value.isdigit()


def _amount(value: str) -> bool:
    if value.count(",") == 1 and "." not in value:
        value = value.replace(",", ".")
    try:
        number = Decimal(value)
    except InvalidOperation:
        return False
    return number.is_finite() and number >= 0


def _ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value >= 0


def _order(value: str) -> bool:
    try:
        order = json.loads(value)
    except ValueError:
        return False
    if not isinstance(order, dict) or set(order) - ORDER_KEYS:
        return False
    items = order.get("items", [])
    if not isinstance(items, list):
        return False
    for item in items:
        if not isinstance(item, dict) or set(item) - ORDER_ITEM_KEYS:
            return False
        if any(key in item and not _number(item[key]) for key in ("qty", "p")):
            return False
    return "amt" not in order or _number(order["amt"])


def _text(value: str) -> bool:
    return bool(value)


PARAMETERS: dict[str, Callable[[str], bool]] = {
    "nid": _whole,
    "transaction_id": lambda value: 0 < len(value) <= MAX_TRANSACTION_ID_CHARS,
    "event_id": _whole,
    "adv_event_id": _whole,
    "amount": _amount,
    "order_id": _text,
    "coupon_code": _text,
    "email": lambda value: "@" in value,
    "user_id": _text,
    "user_ip": _ip,
    "user_agent": _text,
    "affid": _whole,
    "oid": _whole,
    "order": _order,
    "verification_token": _text,
    "app_id": _text,
    "idfa": _text,
    "google_aid": _text,
    "android_id": _text,
    **{f"adv{n}": _text for n in range(1, 11)},
    **{f"sub{n}": _text for n in range(1, 11)},
}


def _refused(error: str) -> Reply:
    return Reply(status=400, body={"code": 0, "error": error})


def everflow_postback(call: Call) -> Reply:
    unknown = sorted(set(call.query) - set(PARAMETERS))
    if unknown:
        return _refused(f"Unknown parameter: {', '.join(unknown)}")
    if call.query.get("nid") != EVERFLOW_NETWORK_ID:
        return Reply(status=400, body={"code": 11, "error": "Invalid network ID"})
    transaction_id = call.query.get("transaction_id", "")
    if not transaction_id:
        return Reply(status=204)
    wrong = [name for name, value in call.query.items() if not PARAMETERS[name](value)]
    if wrong:
        return _refused(f"Invalid value for parameter: {', '.join(sorted(wrong))}")
    if "event_id" in call.query and "adv_event_id" in call.query:
        return _refused("Send event_id or adv_event_id, not both")
    event = call.query.get("adv_event_id") or call.query.get("event_id") or "0"
    conversion = {
        "result": "success",
        "conversion_id": uuid.uuid4().hex,
        "transaction_id": transaction_id,
    }
    kept, created = sandbox_record_keep(
        upstream=NAME,
        key=f"conversion:{transaction_id}:{event}",
        data={**conversion, "event": event, "status": "approved"},
        group=transaction_id,
    )
    if not created:
        return Reply(
            status=200,
            body={"code": 8, "error": "Duplicate conversion", "conversion_id": kept["conversion_id"]},
        )
    return Reply(status=200, body=conversion)


def everflow_conversion_status(call: Call) -> Reply:
    if call.header("X-Eflow-API-Key") != EVERFLOW_API_KEY:
        return Reply(status=401, body={"error": "Invalid API key"})
    if not call.header("Content-Type").startswith("application/json"):
        return Reply(status=400, body={"error": "Content-Type must be application/json"})
    try:
        body = call.json()
    except ValueError:
        return Reply(status=400, body={"error": "The body is not valid JSON"})
    if not isinstance(body, dict) or set(body) != {"conversion_status"}:
        return Reply(status=400, body={"error": "The body must be exactly {\"conversion_status\": ...}"})
    if body["conversion_status"] not in STATUSES:
        return Reply(status=400, body={"error": "conversion_status must be approved or rejected"})
    transaction_id = unquote(call.path.split("?")[0].rsplit("/conversions/", 1)[1])
    conversions = sandbox_record_group(upstream=NAME, group=transaction_id)
    if not conversions:
        return Reply(status=404, body={"error": "No conversion found for this transaction id"})
    for conversion in conversions:
        sandbox_record_put(
            upstream=NAME,
            key=f"conversion:{transaction_id}:{conversion['event']}",
            data={**conversion, "status": body["conversion_status"]},
            group=transaction_id,
        )
    return Reply(status=200, body={"result": True})


_ALL_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


def everflow_not_found(call: Call) -> Reply:
    return Reply(status=404, body={"error": "Not found"})


_postback = views.upstream_endpoint(upstream=NAME, handle=everflow_postback, methods=("GET",))
_status = views.upstream_endpoint(
    upstream=NAME, handle=everflow_conversion_status, methods=("PATCH",)
)
_not_found = views.upstream_endpoint(upstream=NAME, handle=everflow_not_found, methods=_ALL_METHODS)


@csrf_exempt
def _conversion_status(request: HttpRequest, transaction_id: str) -> HttpResponse:
    # The handler reads the transaction id from the recorded path, as the API receives it.
    return _status(request)


@csrf_exempt
def _elsewhere(request: HttpRequest, rest: str) -> HttpResponse:
    return _not_found(request)


urls = [
    path("everflow/", _postback, name="sandbox-everflow-postback"),
    path("everflow", _postback),
    path(
        "everflow/api/v1/networks/reporting/conversions/<str:transaction_id>",
        _conversion_status,
        name="sandbox-everflow-conversion-status",
    ),
    path("everflow/<path:rest>", _elsewhere),
]

UPSTREAM = SandboxUpstream(
    name=NAME,
    label="Everflow postback",
    credentials={"network_id": EVERFLOW_NETWORK_ID, "api_key": EVERFLOW_API_KEY},
    urls=urls,
)
