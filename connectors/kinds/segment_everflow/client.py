"""Sending to Everflow, and what its answers mean.

A postback carries the connector's verification token, added here at send time so that it is never
stored with the delivery; a refund's rejection carries the network API key. Everflow answers some
refusals of a postback with 200 and an error code in the body (a duplicate: code 8), and a postback
that matched no click with 204.
"""

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from connectors.kinds.base import (
    RETRYABLE_4XX,
    ConnectorConfig,
    OutboundRequest,
    Outcome,
    OutcomeKind,
    PreparedRequest,
    json_request_prepare,
)
from connectors.kinds.segment_everflow.build_conversion import json_short

# Everflow's conversion error codes (help center, "Conversions error code reference guide").
ERROR_CODES = {
    2: "the request did not come from an IP on the advertiser's allow-list",
    3: "the request did not come from a domain on the advertiser's allow-list",
    5: "the conversion is outside the offer's click-to-conversion lookback window",
    6: "the offer requires HTTPS postbacks",
    8: 'duplicate: this click already has this conversion (turn on "Allow Duplicate Conversions" on the '
    "offer if repeats are expected)",
    11: "the network id (nid) is not valid: check the connector's network id",
    12: "the transaction id is not valid",
    13: "the click is not valid (unknown, or older than about 90 days)",
    20: "the conversion is outside the offer's lookback window",
}


def everflow_prepare(request: OutboundRequest, config: ConnectorConfig) -> PreparedRequest:
    if request.method == "PATCH":
        return json_request_prepare(request, {"X-Eflow-API-Key": config.secrets.get("api_key") or ""})
    url = request.url
    token = config.secrets.get("verification_token")
    if token:
        url = f"{url}&{urlencode({'verification_token': token})}"
    return PreparedRequest(method=request.method, url=url, headers={"Accept": "application/json"}, body=b"")


def _answer(body: bytes) -> Any:
    try:
        return json.loads(body or b"null")
    except ValueError:
        return None


def _refund_interpret(status: int, body: bytes) -> Outcome | None:
    answer = _answer(body)
    detail = ""
    if isinstance(answer, dict) and answer.get("error"):
        detail = f" Everflow said: {str(answer['error'])[:300]}"
    if status in (401, 403):
        return Outcome(
            OutcomeKind.TERMINAL,
            f"Everflow refused the API key (HTTP {status}): set a network API key from Control Center → "
            f"Security.{detail}",
        )
    if status == 404:
        return Outcome(
            OutcomeKind.TERMINAL,
            f"Everflow has no conversion for this transaction id, so there is nothing to reject.{detail}",
        )
    if 400 <= status < 500 and status not in RETRYABLE_4XX:
        return Outcome(OutcomeKind.TERMINAL, f"Everflow refused to reject the conversion (HTTP {status}).{detail}")
    if 200 <= status < 300 and not (isinstance(answer, dict) and answer.get("result") is True):
        return Outcome(
            OutcomeKind.TERMINAL,
            f"Everflow did not confirm the rejection (it answered {json_short(answer)}, not {{\"result\": true}}).",
        )
    return None


def everflow_interpret(
    request: OutboundRequest, status: int, headers: Mapping[str, str], body: bytes
) -> Outcome | None:
    if request.method == "PATCH":
        return _refund_interpret(status, body)
    if status == 204:
        return Outcome(
            OutcomeKind.TERMINAL,
            "Everflow rejected the conversion (HTTP 204, empty answer): the transaction id, the offer's "
            "event or its lookback window did not match a click.",
        )
    # Everflow answers some refusals with 200 and an error code in the body (a duplicate: code 8).
    if not (200 <= status < 300 or 400 <= status < 500) or status in RETRYABLE_4XX:
        return None
    answer = _answer(body)
    if not isinstance(answer, dict) or "code" not in answer:
        return None
    code = answer.get("code")
    meaning = ERROR_CODES.get(code, "see Everflow's conversion error codes") if isinstance(code, int) else ""
    said = f"({answer['error']})" if answer.get("error") else ""
    words = " ".join(part for part in (meaning, said) if part)
    reason = f"Everflow refused the conversion, error {code}"
    return Outcome(OutcomeKind.TERMINAL, f"{reason}: {words}." if words else f"{reason}.")
