"""Sending to AIR and Segment, and what AIR's answers mean (spec/segment-air.md §4.1, §4.3)."""

import json
from collections.abc import Mapping
from typing import Any

from connectors.kinds.air_segment.auth import air_auth_headers
from connectors.kinds.base import ConnectorConfig, OutboundRequest, Outcome, OutcomeKind, PreparedRequest
from connectors.kinds.segment import segment_prepare

_MAX_REASON_CHARS = 300


def request_prepare(request: OutboundRequest, config: ConnectorConfig) -> PreparedRequest:
    """The exact bytes and headers to send; AIR's hash is computed over those very bytes."""
    if request.destination == "segment":
        return segment_prepare(request, config)
    body = json.dumps(request.body, separators=(",", ":"), ensure_ascii=False).encode()
    headers = {
        "Content-Type": "application/json",
        **air_auth_headers(
            url=request.url,
            body=body,
            client_id=config.settings["air_client_id"],
            client_secret=config.secrets["air_client_secret"],
        ),
    }
    return PreparedRequest(method=request.method, url=request.url, headers=headers, body=body)


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


def _air_message(body: bytes) -> str:
    parsed = _json(body)
    if isinstance(parsed, dict):
        for key in ("errorMessage", "message", "error", "errorCode"):
            if isinstance(parsed.get(key), str) and parsed[key].strip():
                return parsed[key].strip()[:_MAX_REASON_CHARS]
    text = body.decode("utf-8", "replace").strip()
    return text[:_MAX_REASON_CHARS] or "no reason given"


def wallet_transaction_result(body: bytes) -> dict[str, Any]:
    """What support needs from AIR's wallet transaction: its id, points credited, coupons issued."""
    parsed = _json(body)
    if not isinstance(parsed, dict):
        return {}
    points = 0
    coupons = []
    for entry in parsed.get("accounts") or ():
        if not isinstance(entry, dict):
            continue
        account = entry.get("account") or {}
        if account.get("type") == "POINTS" and entry.get("event") in ("CREDIT", "EARN"):
            points += entry.get("value") or 0
        elif account.get("type") == "ECOUPON" and entry.get("event") == "CREATE":
            coupons.append({"account_id": account.get("accountId"), "campaign_id": account.get("campaignId")})
    return {
        "wallet_transaction_id": parsed.get("walletTransactionId"),
        "wallet_id": parsed.get("walletId"),
        "reference": parsed.get("reference"),
        "type": parsed.get("type"),
        "status": parsed.get("status"),
        "points": points,
        "coupons": coupons,
    }


def response_interpret(
    request: OutboundRequest, status: int, headers: Mapping[str, str], body: bytes
) -> Outcome | None:
    """AIR's own meaning of a status; None leaves the generic classification (5xx, 429 retried)."""
    if request.destination != "air":
        return None
    if 200 <= status < 300:
        return Outcome(OutcomeKind.SUCCEEDED, result=wallet_transaction_result(body))
    if status == 404:
        identity = (request.body or {}).get("identityValue")
        return Outcome(OutcomeKind.TERMINAL, reason=f"identity {identity} not found in AIR")
    if status == 401:
        return Outcome(OutcomeKind.TERMINAL, reason="AIR rejected the credentials (client id or hash)")
    if status == 400:
        return Outcome(OutcomeKind.TERMINAL, reason=f"AIR refused the request: {_air_message(body)}")
    return None
