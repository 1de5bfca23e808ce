"""Sandbox Perkville API (spec/voucherify-everflow-perkville.md §4), at ``/sandbox/perkville``.

``Authorization: Bearer <token>``, else 401. ``POST /v2/transactions/`` takes a JSON object and
answers 201 with it and an ``id``. The real field names are unconfirmed (spec §4.2), so any object
is accepted; a repeated ``trans_source_id`` answers the first transaction again with 200 and awards
nothing.
"""

import uuid
from typing import Any

from django.urls import path
from django.utils import timezone

from connectors.sandbox import views
from connectors.sandbox.credentials import PERKVILLE_TOKEN
from connectors.sandbox.models import Upstream
from connectors.sandbox.services import Call, Reply, sandbox_record_keep


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


_transactions = views.upstream_endpoint(upstream=Upstream.PERKVILLE, handle=perkville_transactions)
urls = [
    path("perkville/v2/transactions/", _transactions, name="sandbox-perkville-transactions"),
    path("perkville/v2/transactions", _transactions),
]
