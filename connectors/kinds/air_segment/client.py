"""Sending to AIR and Segment, and what AIR's answers mean (spec/segment-air.md §4.1, §4.3)."""

import json
from collections.abc import Mapping
from typing import Any, cast

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
                return cast(str, parsed[key]).strip()[:_MAX_REASON_CHARS]  # text, as checked above
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


# What AIR answers when a wallet-transaction reference it already holds is sent again is not
# published: EE's client (integration-events-common, src/common/ee-air-client/ee-air-client.ts)
# and its commercetools connector map only 404, 401 and 400 (all permanent) and retry the rest, and
# AIR's trigger recipe only asks for "a unique reference" (spec/segment-air.md §6, question 3). So
# the answer is matched conservatively: a 400, 409 or 422 whose code or message says the *wallet
# transaction reference* is a duplicate or already exists. "Trigger ... not found" or "does not
# exist" never matches; nor does a bare 409.
_REFERENCE_REPEAT_STATUSES = (400, 409, 422)
_REFERENCE_SUBJECTS = ("reference", "wallet transaction", "wallettransaction")
_REPEAT_WORDS = ("already", "duplicat")


def _air_code_and_message(body: bytes) -> tuple[str, str]:
    parsed = _json(body)
    if not isinstance(parsed, dict):
        return "", body.decode("utf-8", "replace").strip()
    code = cast(str, parsed.get("errorCode")) if isinstance(parsed.get("errorCode"), str) else ""  # text, as checked
    messages = (parsed.get(key) for key in ("errorMessage", "message", "error"))
    return code, " ".join(text for text in messages if isinstance(text, str))


def reference_repeat(status: int, body: bytes) -> bool:
    """Whether AIR refused the request because it already holds its wallet-transaction reference."""
    if status not in _REFERENCE_REPEAT_STATUSES:
        return False
    code, message = _air_code_and_message(body)
    for text in (code.replace("_", " "), message):
        lowered = text.lower()
        if "trigger" in lowered:
            continue  # about a behavioural action (its limit reached, say), not our reference
        if any(subject in lowered for subject in _REFERENCE_SUBJECTS) and any(
            word in lowered for word in _REPEAT_WORDS
        ):
            return True
    return False


def response_interpret(
    request: OutboundRequest, status: int, headers: Mapping[str, str], body: bytes
) -> Outcome | None:
    """AIR's own meaning of a status; None leaves the generic classification.

    - 2xx: the trigger was processed; the wallet transaction's id, points and coupons are kept.
    - 400/409/422 saying the wallet-transaction reference is already held (``reference_repeat``):
      the reference is unique to one reward (``build_in.wallet_transaction_reference``), so AIR
      holding it means an earlier attempt of this very delivery was processed (its answer was
      lost, or it timed out): succeeded, noted as already processed, with nothing credited again.
    - 404: the identity is not a wallet AIR knows; 401: the client id or hash is wrong; any other
      400: AIR refused the request (its message quoted). All three are final.
    - Anything else is left to the generic classification: 5xx (but 501) and 408/425/429 are
      retried, other 4xx end the delivery.
    """
    if request.destination != "air":
        return None
    if 200 <= status < 300:
        return Outcome(OutcomeKind.SUCCEEDED, result=wallet_transaction_result(body))
    if reference_repeat(status, body):
        reference = ((request.body or {}).get("walletTransaction") or {}).get("reference")
        return Outcome(
            OutcomeKind.SUCCEEDED,
            reason=f"AIR already holds wallet transaction {reference}: an earlier attempt was processed "
            f"({status}: {_air_message(body)})",
            result={"already_processed": True, "reference": reference},
        )
    if status == 404:
        identity = (request.body or {}).get("identityValue")
        return Outcome(OutcomeKind.TERMINAL, reason=f"identity {identity} not found in AIR")
    if status == 401:
        return Outcome(OutcomeKind.TERMINAL, reason="AIR rejected the credentials (client id or hash)")
    if status == 400:
        return Outcome(OutcomeKind.TERMINAL, reason=f"AIR refused the request: {_air_message(body)}")
    return None
