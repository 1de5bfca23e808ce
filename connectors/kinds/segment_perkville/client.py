"""Sending to Perkville with the connector's bearer token, and what Perkville's answers mean."""

import json
from collections.abc import Mapping

from django.conf import settings

from connectors.kinds.base import (
    RETRYABLE_4XX,
    ConnectorConfig,
    OutboundRequest,
    Outcome,
    OutcomeKind,
    PreparedRequest,
    json_request_prepare,
)

PRODUCT = "EE-Connect"


def perkville_prepare(request: OutboundRequest, config: ConnectorConfig) -> PreparedRequest:
    return json_request_prepare(
        request,
        {
            "Authorization": f"Bearer {config.secrets['api_token']}",
            # Perkville sits behind Cloudflare, which refuses requests without a User-Agent.
            "User-Agent": f"{PRODUCT}/{settings.VERSION}",
        },
    )


def _detail(body: bytes) -> str:
    text = body.decode("utf-8", "replace").strip()
    try:
        answer = json.loads(text)
    except ValueError:
        return text[:300]
    if isinstance(answer, dict):
        for key in ("error", "detail", "message", "error_description"):
            if isinstance(answer.get(key), str):
                message: str = answer[key]
                return message[:300]
    return json.dumps(answer, separators=(",", ":"))[:300]


def perkville_interpret(
    request: OutboundRequest, status: int, headers: Mapping[str, str], body: bytes
) -> Outcome | None:
    if status < 400 or status >= 500 or status in RETRYABLE_4XX:
        return None
    detail = _detail(body)
    lowered = detail.lower()
    duplicate_words = ("exist", "duplicate", "unique", "already")
    if status in (400, 409) and "trans_source_id" in lowered and any(word in lowered for word in duplicate_words):
        # The id is the same only for the same sale (keyed by its order) or a retry of the same
        # message (every other event, refunds included): it was posted, so it is not posted twice.
        return Outcome(
            OutcomeKind.SUCCEEDED,
            f"Perkville already has this transaction ({request.idempotency_key}): it was posted before, so "
            "nothing is posted twice.",
        )
    if status == 401:
        reason = "Perkville refused the API token: generate a new one (Settings → Apps → Connect Segment)."
    elif status == 403:
        reason = (
            "The Perkville token may not grant points for this business (needs ADMIN_CUSTOMER_GRANT_POINTS)."
        )
    elif status == 404:
        reason = (
            "Perkville does not know the business, location or perk: check the connector's ids and perk maps."
        )
    else:
        reason = f"Perkville refused the transaction (HTTP {status})."
    return Outcome(OutcomeKind.TERMINAL, f"{reason} Perkville said: {detail}" if detail else reason)
