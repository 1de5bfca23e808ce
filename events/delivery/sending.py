"""Sending claimed deliveries: plan the requests, send each once, classify the answer.

Rows claimed together are sent together where their kind allows it: requests to one target are
merged (``Kind.merge``, e.g. Segment batches) and each delivery still gets its own attempt.
"""

import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import cast

import requests
import urllib3
from django.utils import timezone

from connectors.kinds.base import (
    ConnectorConfig,
    Kind,
    MergedRequest,
    OutboundRequest,
    Outcome,
    OutcomeKind,
    PreparedRequest,
)
from connectors.kinds.registry import kind_get
from connectors.models import Connector
from connectors.services import connector_config
from events.delivery import policy
from events.delivery.http import AddressRefused, http_send
from events.delivery.queue import TimeLimitExceeded
from events.models import Delivery

logger = logging.getLogger(__name__)

# What the HTTP client may raise, as it reads the socket through urllib3: nothing else is caught.
_TIMEOUTS = (requests.Timeout, urllib3.exceptions.TimeoutError, TimeoutError)
_NETWORK_ERRORS = (requests.RequestException, urllib3.exceptions.HTTPError, OSError)
RESPONSE_BODY_LIMIT = 8 * 1024


@dataclass(frozen=True)
class Response:
    status: int | None
    headers: dict[str, str]
    body: bytes
    error_class: str = ""
    error_message: str = ""
    timed_out: bool = False
    refused: bool = False  # an address outbound calls may not reach: nothing was sent


def _send(prepared: PreparedRequest) -> Response:
    """Send and read the answer within the call's total deadline (``events.delivery.http``). Only the HTTP
    client's own errors become a Response: anything else (a Celery time limit, a worker shutting
    down) propagates, for the caller to record and raise again."""
    try:
        response = http_send(prepared, body_limit=RESPONSE_BODY_LIMIT + 1)
    except requests.TooManyRedirects as exc:  # redirects are never followed: the 3xx is the answer
        response = cast(requests.Response, exc.response)  # requests raises it with the 3xx it stopped at
    except AddressRefused as exc:  # the same whatever listens there, and final
        return Response(None, {}, b"", type(exc).__name__, str(exc), refused=True)
    except _TIMEOUTS as exc:
        return Response(None, {}, b"", type(exc).__name__, f"No answer in time: {exc}", timed_out=True)
    except _NETWORK_ERRORS as exc:
        return Response(None, {}, b"", type(exc).__name__, f"Could not reach the destination: {exc}")
    return Response(response.status_code, dict(response.headers), response.content)


def _classify(*, request: OutboundRequest, kind: Kind, response: Response) -> Outcome:
    if response.status is None:
        return Outcome(OutcomeKind.TERMINAL if response.refused else OutcomeKind.RETRY, response.error_message)
    specific = kind.interpret(request, response.status, response.headers, response.body)
    if specific is not None:
        return specific
    if 200 <= response.status < 300:
        return Outcome(OutcomeKind.SUCCEEDED)
    kind_of = OutcomeKind.RETRY if policy.status_is_retryable(response.status) else OutcomeKind.TERMINAL
    return Outcome(kind_of, policy.status_reason(response.status))


@dataclass(frozen=True)
class Send:
    """One request to send, and the claimed deliveries it carries."""

    kind: Kind
    connector: Connector
    request: OutboundRequest
    deliveries: tuple[Delivery, ...]
    note: str = ""  # how the request travelled, said in each delivery's attempt


def _others(count: int) -> str:
    return f"{count} other deliver{'y' if count == 1 else 'ies'}"


def _request_of(delivery: Delivery) -> OutboundRequest:
    return OutboundRequest(
        destination=delivery.destination,
        method=delivery.method,
        url=delivery.url,
        body=delivery.body,
        idempotency_key=delivery.idempotency_key,
    )


def _merged(kind: Kind, requests: list[OutboundRequest]) -> list[MergedRequest]:
    alone = [MergedRequest(request, (index,)) for index, request in enumerate(requests)]
    if kind.merge is None or len(requests) == 1:
        return alone
    merged = kind.merge(requests)
    if sorted(index for each in merged for index in each.parts) != list(range(len(requests))):
        logger.error("Kind %s did not merge each of %s requests once: sending each alone", kind.key, len(requests))
        return alone
    return merged


def sends_plan(deliveries: list[Delivery]) -> list[Send]:
    """One send per merged request: deliveries grouped by connector and target, merged by the kind."""
    targets: dict[tuple[int, str, str, str], list[Delivery]] = {}
    for delivery in deliveries:
        key = (delivery.connector_id, delivery.destination, delivery.method, delivery.url)
        targets.setdefault(key, []).append(delivery)
    sends = []
    for group in targets.values():
        connector = group[0].connector
        kind = kind_get(connector.kind)
        for merged in _merged(kind, [_request_of(delivery) for delivery in group]):
            carried = tuple(group[index] for index in merged.parts)
            note = f"Sent in one request with {_others(len(carried) - 1)}." if len(carried) > 1 else ""
            sends.append(Send(kind, connector, merged.request, carried, note))
    return sends


def sends_alone(send: Send, outcome: Outcome) -> list[Send]:
    """A merged request refused for good: one bad message must not fail the others."""
    note = f"Sent alone: the request it shared with {_others(len(send.deliveries) - 1)} was refused ({outcome.reason})."
    return [
        Send(send.kind, send.connector, _request_of(delivery), (delivery,), note) for delivery in send.deliveries
    ]


@dataclass(frozen=True)
class Sent:
    prepared: PreparedRequest | None
    response: Response
    outcome: Outcome
    started_at: datetime
    duration: float
    # What stopped the request before its answer (a Celery time limit, a shutdown): recorded as a
    # retry, then raised again.
    interrupted: BaseException | None = None


def _interruption_reason(exc: BaseException) -> str:
    if isinstance(exc, TimeLimitExceeded):
        return "The worker's time limit ran out during the request: no complete answer in time"
    return f"The request was interrupted ({type(exc).__name__}) before a complete answer"


def request_send(send: Send, configs: dict[int, ConnectorConfig]) -> Sent:
    """Prepare the request with its connector's settings (read once per connector into ``configs``),
    send it and classify the answer. A time limit while preparing propagates: nothing was sent."""
    started_at = timezone.now()
    clock = time.monotonic()
    connector = send.connector
    try:
        if connector.pk not in configs:
            configs[connector.pk] = connector_config(connector)
        prepared = send.kind.prepare(send.request, configs[connector.pk])
    except TimeLimitExceeded:  # nothing was sent: the caller gives the rows back
        raise
    except Exception as exc:  # missing or unreadable secret, bad settings: nothing was sent
        logger.warning(
            "Deliveries %s could not be prepared: %s", [delivery.pk for delivery in send.deliveries], exc
        )
        response = Response(None, {}, b"", type(exc).__name__, f"Could not prepare the request: {exc}")
        return Sent(None, response, Outcome(OutcomeKind.TERMINAL, response.error_message), started_at, 0.0)
    try:
        response = _send(prepared)
    except BaseException as exc:  # the request may have arrived: an attempt to record, never a success
        reason = _interruption_reason(exc)
        response = Response(None, {}, b"", type(exc).__name__, reason, timed_out=True)
        outcome = Outcome(OutcomeKind.RETRY, reason)
        return Sent(prepared, response, outcome, started_at, time.monotonic() - clock, interrupted=exc)
    outcome = _classify(request=send.request, kind=send.kind, response=response)
    return Sent(prepared, response, outcome, started_at, time.monotonic() - clock)
