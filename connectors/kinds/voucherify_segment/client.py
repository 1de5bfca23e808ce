"""Sending to Voucherify's Segment integration and to Segment, and what Voucherify's answers mean."""

import base64
import json
from collections.abc import Mapping

from connectors.kinds.base import (
    RETRYABLE_4XX,
    ConnectorConfig,
    OutboundRequest,
    Outcome,
    OutcomeKind,
    PreparedRequest,
    json_request_prepare,
)
from connectors.kinds.segment import segment_prepare


def _base64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def voucherify_prepare(request: OutboundRequest, config: ConnectorConfig) -> PreparedRequest:
    if request.destination == "segment":
        return segment_prepare(request, config)
    # The Segment destination's extendRequest: ``authorization: Basic base64(Application ID)`` (the
    # id alone, no "id:secret" pair) and ``secret-key: base64(Secret Key)``
    # (segmentio/action-destinations ``destinations/voucherify/index.ts``).
    return json_request_prepare(
        request,
        {
            "authorization": f"Basic {_base64(str(config.settings['voucherify_app_id']))}",
            "secret-key": _base64(config.secrets["voucherify_app_token"]),
        },
    )


def _voucherify_error(body: bytes) -> str:
    """Voucherify's error body is ``{code, key, message, details, request_id}``."""
    try:
        answer = json.loads(body or b"null")
    except ValueError:
        return body.decode("utf-8", "replace").strip()[:300]
    if not isinstance(answer, dict):
        return ""
    parts = [str(answer[key]) for key in ("key", "message", "details") if answer.get(key)]
    return ": ".join(parts)[:300]


def voucherify_interpret(
    request: OutboundRequest, status: int, headers: Mapping[str, str], body: bytes
) -> Outcome | None:
    if request.destination != "voucherify" or status < 400 or status >= 500 or status in RETRYABLE_4XX:
        return None
    detail = _voucherify_error(body)
    if status == 401:
        reason = (
            "Voucherify refused the application id or secret key. Use an integration key created for "
            "Segment; keys work only on their own project's region: check the API endpoint setting too."
        )
    elif status in (404, 405):
        reason = (
            f"Voucherify has no Segment integration endpoint at {request.url} (HTTP {status}): check the "
            "API endpoint and the Custom Voucherify URL settings."
        )
    else:
        reason = f"Voucherify refused the request (HTTP {status})."
    return Outcome(OutcomeKind.TERMINAL, f"{reason} Voucherify said: {detail}" if detail else reason)
