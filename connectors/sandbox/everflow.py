"""Sandbox Everflow server postback (spec/voucherify-everflow-perkville.md §3), at ``/sandbox/everflow/``.

``GET`` with query parameters: ``nid`` must be ``credentials.EVERFLOW_NETWORK_ID`` (else 400, error
code 11); no ``transaction_id`` is a rejected conversion: 204 with an empty body; otherwise 200
``{"result": "success", "conversion_id"}``. A repeated (``transaction_id``, ``event_id``) is a
duplicate conversion: 200 with ``{"code": 8, "error": ...}``, as Everflow answers it.
"""

import uuid

from django.urls import path

from connectors.sandbox import views
from connectors.sandbox.credentials import EVERFLOW_NETWORK_ID
from connectors.sandbox.models import Upstream
from connectors.sandbox.services import Call, Reply, sandbox_record_keep


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


_postback = views.upstream_endpoint(upstream=Upstream.EVERFLOW, handle=everflow_postback, methods=("GET",))
urls = [
    path("everflow/", _postback, name="sandbox-everflow-postback"),
    path("everflow", _postback),
]
