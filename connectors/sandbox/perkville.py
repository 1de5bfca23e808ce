"""Sandbox Perkville API, at ``/sandbox/perkville/v2/transactions/``.

Perkville publishes no contract for a transaction POST (spec/voucherify-everflow-perkville.md §4.2:
the readable part of its v2 reference stops before "Transactions"). This fake follows the best
public evidence, and says which:

- Path, method and auth: ``POST /v2/transactions/`` with ``Authorization: Bearer <token>``
  (Perkville's v2 docs and "Automating your program using Perkville's API"; third-party v2 clients).
  Another path under ``/sandbox/perkville/`` is a 404, another method a 405; a missing or wrong
  token a 401 with an empty body, as the framework Perkville's v2 API is built on (Tastypie: list
  answers of ``objects`` and ``meta.next``, ``?format=json``, ``user__emails__email`` filters) sends it.
- Body: a JSON object (else 400 ``{"error": …}``, Tastypie's answer to a body it cannot read) with
  exactly the fields the connector sends, each of the type it sends: ``business``, ``location`` and
  ``perk`` (whole numbers), ``quantity`` (a number, negative to remove points), ``email`` (an
  address), ``send_email`` (true/false) and ``trans_source_id`` (text); optionally
  ``limit_to_once_per_calendar_day`` (true/false, named in Perkville's automation page). A missing,
  unknown or wrongly typed field is a 400 in Tastypie's validation shape,
  ``{"transactions": {"<field>": ["<message>"]}}``. The names themselves are the connector's
  assumption (connectors/kinds/segment_perkville/build_transaction.py); they are checked here so that a
  renamed field fails a test.
- ``trans_source_id`` is unique per business (Perkville's automation page): a repeat is a 400
  ``{"transactions": {"trans_source_id": ["Transaction with this Trans source id already exists."]}}``
  (the message Django gives a unique field) and awards nothing. Else 201 with the transaction and
  its ``id``.
"""

import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from connectors.sandbox import views
from connectors.sandbox.credentials import PERKVILLE_TOKEN
from connectors.sandbox.services import Call, Reply, sandbox_record_keep
from connectors.sandbox.upstreams import SandboxUpstream

NAME = "perkville"


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


REQUIRED = {
    "business": (_whole, "A whole number (the business id) is required."),
    "location": (_whole, "A whole number (the location id) is required."),
    "perk": (_whole, "A whole number (the perk id) is required."),
    "quantity": (_number, "A number is required."),
    "email": (lambda value: _text(value) and "@" in value, "Enter a valid email address."),
    "send_email": (lambda value: isinstance(value, bool), "Must be true or false."),
    "trans_source_id": (_text, "This field is required."),
}
OPTIONAL = {
    "limit_to_once_per_calendar_day": (lambda value: isinstance(value, bool), "Must be true or false."),
}


def _invalid(errors: dict[str, list[str]]) -> Reply:
    return Reply(status=400, body={"transactions": errors})


def perkville_transactions(call: Call) -> Reply:
    if call.header("Authorization") != f"Bearer {PERKVILLE_TOKEN}":
        return Reply(status=401)
    if not call.header("Content-Type").startswith("application/json"):
        return Reply(status=400, body={"error": "The body must be sent as application/json."})
    try:
        body = call.json()
    except ValueError:
        return Reply(status=400, body={"error": "The body is not valid JSON."})
    if not isinstance(body, dict):
        return Reply(status=400, body={"error": "The body must be a JSON object."})
    errors: dict[str, list[str]] = {}
    for name in sorted(set(body) - set(REQUIRED) - set(OPTIONAL)):
        errors[name] = ["Unknown field."]
    for name, (valid, message) in {**REQUIRED, **OPTIONAL}.items():
        if name not in body:
            if name in REQUIRED:
                errors[name] = ["This field is required."]
        elif not valid(body[name]):
            errors[name] = [message]
    if errors:
        return _invalid(errors)
    transaction = {**body, "id": uuid.uuid4().int % 10**9, "created_at": timezone.now().isoformat()}
    _, created = sandbox_record_keep(
        upstream=NAME, key=f"transaction:{body['business']}:{body['trans_source_id']}", data=transaction
    )
    if not created:
        return _invalid({"trans_source_id": ["Transaction with this Trans source id already exists."]})
    return Reply(status=201, body=transaction)


def perkville_not_found(call: Call) -> Reply:
    return Reply(status=404, body={"error": "Not found."})


_transactions = views.upstream_endpoint(upstream=NAME, handle=perkville_transactions)
_not_found = views.upstream_endpoint(
    upstream=NAME,
    handle=perkville_not_found,
    methods=("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"),
)


@csrf_exempt
def _elsewhere(request: HttpRequest, rest: str) -> HttpResponse:
    return _not_found(request)


urls = [
    path("perkville/v2/transactions/", _transactions, name="sandbox-perkville-transactions"),
    path("perkville/<path:rest>", _elsewhere),
]

UPSTREAM = SandboxUpstream(
    name=NAME,
    label="Perkville",
    credentials={"api_token": PERKVILLE_TOKEN},
    urls=urls,
)
