"""Delivering: claim a due row atomically, send once, record the attempt, decide what comes next."""

import logging
import re
import time
from dataclasses import dataclass
from datetime import timedelta

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from connectors.kinds.base import OutboundRequest, Outcome, OutcomeKind
from connectors.kinds.registry import kind_get
from connectors.models import Connector
from connectors.services import connector_config
from events import policy
from events.http import http_send
from events.models import Delivery, DeliveryAttempt
from events.services import hooks

logger = logging.getLogger(__name__)

RESPONSE_BODY_LIMIT = 8 * 1024
REQUEST_BODY_LIMIT = 64 * 1024
REDACTED = "[redacted]"
_SECRET_HEADER = re.compile(r"auth|token|key|secret|signature|hash|cookie", re.IGNORECASE)
_SECRET_QUERY = re.compile(r"([?&][^=&]*(?:token|key|secret|signature)[^=&]*=)[^&]*", re.IGNORECASE)


def headers_redact(headers) -> dict[str, str]:
    return {name: (REDACTED if _SECRET_HEADER.search(name) else value) for name, value in headers.items()}


def url_redact(url: str) -> str:
    return _SECRET_QUERY.sub(rf"\1{REDACTED}", url)


@dataclass(frozen=True)
class Response:
    status: int | None
    headers: dict[str, str]
    body: bytes
    error_class: str = ""
    error_message: str = ""
    timed_out: bool = False


def _send(prepared) -> Response:
    try:
        response = http_send(prepared)
    except requests.TooManyRedirects as exc:  # redirects are never followed: the 3xx is the answer
        response = exc.response
    except requests.Timeout as exc:
        return Response(None, {}, b"", type(exc).__name__, f"No answer in time: {exc}", timed_out=True)
    except requests.RequestException as exc:
        return Response(None, {}, b"", type(exc).__name__, f"Could not reach the destination: {exc}")
    try:
        body = response.raw.read(RESPONSE_BODY_LIMIT + 1, decode_content=True) or b""
    except Exception as exc:  # a broken stream after the status line: keep the status, say why
        body = f"(response body unreadable: {exc})".encode()
    finally:
        response.close()
    return Response(response.status_code, dict(response.headers), body)


def _classify(*, request: OutboundRequest, kind, response: Response) -> Outcome:
    if response.status is None:
        return Outcome(OutcomeKind.RETRY, response.error_message)
    specific = kind.interpret(request, response.status, response.headers, response.body)
    if specific is not None:
        return specific
    if 200 <= response.status < 300:
        return Outcome(OutcomeKind.SUCCEEDED)
    kind_of = OutcomeKind.RETRY if policy.status_is_retryable(response.status) else OutcomeKind.TERMINAL
    return Outcome(kind_of, policy.status_reason(response.status))


def delivery_claim(*, delivery_id: int, now=None) -> bool:
    """Atomically move a due row to *delivering*. Only one caller can win."""
    now = now or timezone.now()
    return bool(
        Delivery.objects.filter(
            pk=delivery_id, status__in=Delivery.DUE_STATUSES, next_attempt_at__lte=now
        ).update(
            status=Delivery.Status.DELIVERING,
            claim_expires_at=now + timedelta(seconds=settings.DELIVERY_CLAIM_SECONDS),
            enqueued_at=None,
            attempts=F("attempts") + 1,
        )
    )


def _hold(delivery: Delivery) -> None:
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Delivery.Status.HELD,
        attempts=F("attempts") - 1,
        claim_expires_at=None,
        next_attempt_at=None,
    )


def delivery_attempt(*, delivery_id: int, task_id: str = "") -> str | None:
    """Make one attempt at a due delivery. Returns the new status, or None when not claimed."""
    if not delivery_claim(delivery_id=delivery_id):
        return None
    delivery = Delivery.objects.select_related("connector").get(pk=delivery_id)
    connector = delivery.connector
    if connector.state != Connector.State.ACTIVE:
        _hold(delivery)
        return Delivery.Status.HELD
    kind = kind_get(connector.kind)
    request = OutboundRequest(
        destination=delivery.destination,
        method=delivery.method,
        url=delivery.url,
        body=delivery.body,
        idempotency_key=delivery.idempotency_key,
    )
    started_at = timezone.now()
    clock = time.monotonic()
    try:
        prepared = kind.prepare(request, connector_config(connector))
    except Exception as exc:  # missing or unreadable secret, bad settings: nothing was sent
        logger.warning("Delivery %s could not be prepared: %s", delivery_id, exc)
        response = Response(None, {}, b"", type(exc).__name__, f"Could not prepare the request: {exc}")
        outcome = Outcome(OutcomeKind.TERMINAL, response.error_message)
        return _record(delivery=delivery, prepared=None, response=response, outcome=outcome,
                       started_at=started_at, duration=0.0, task_id=task_id)
    response = _send(prepared)
    outcome = _classify(request=request, kind=kind, response=response)
    return _record(delivery=delivery, prepared=prepared, response=response, outcome=outcome,
                   started_at=started_at, duration=time.monotonic() - clock, task_id=task_id)


def deliveries_attempt(*, delivery_ids: list[int], task_id: str = "") -> dict[int, str]:
    """Attempt several due deliveries; returns the new status of each one claimed."""
    done = {}
    for delivery_id in delivery_ids:
        status = delivery_attempt(delivery_id=delivery_id, task_id=task_id)
        if status is not None:
            done[delivery_id] = status
    return done


def _next_state(*, delivery: Delivery, response: Response, outcome: Outcome, now) -> dict:
    max_attempts = delivery.connector.max_attempts or settings.DELIVERY_MAX_ATTEMPTS
    if outcome.kind is OutcomeKind.SUCCEEDED:
        return {"status": Delivery.Status.SUCCEEDED, "delivered_at": now, "next_attempt_at": None, "last_error": ""}
    if outcome.kind is OutcomeKind.RETRY and delivery.attempts < max_attempts:
        retry_after = policy.retry_after_seconds(
            response.headers.get("Retry-After"), now=now, clamp=settings.RETRY_AFTER_MAX_SECONDS
        )
        delay = policy.next_attempt_delay(
            attempt=delivery.attempts,
            retry_after=retry_after,
            overloaded=response.timed_out or response.status == 429,
            base=settings.DELIVERY_BACKOFF_BASE_SECONDS,
            cap=settings.DELIVERY_BACKOFF_MAX_SECONDS,
            overload_min=min(policy.OVERLOAD_MIN_SECONDS, settings.DELIVERY_BACKOFF_MAX_SECONDS),
        )
        return {"status": Delivery.Status.RETRYING, "next_attempt_at": now + delay, "last_error": outcome.reason}
    reason = outcome.reason
    if outcome.kind is OutcomeKind.RETRY:
        reason = f"Gave up after {delivery.attempts} attempts. Last: {outcome.reason}"
    return {"status": Delivery.Status.FAILED, "next_attempt_at": None, "last_error": reason}


_ATTEMPT_OUTCOME = {
    Delivery.Status.SUCCEEDED: DeliveryAttempt.Outcome.SUCCEEDED,
    Delivery.Status.RETRYING: DeliveryAttempt.Outcome.RETRY,
    Delivery.Status.FAILED: DeliveryAttempt.Outcome.TERMINAL,
}


def _record(*, delivery, prepared, response: Response, outcome: Outcome, started_at, duration, task_id) -> str:
    now = timezone.now()
    changes = _next_state(delivery=delivery, response=response, outcome=outcome, now=now)
    request_body = prepared.body[:REQUEST_BODY_LIMIT].decode("utf-8", "replace") if prepared else ""
    with transaction.atomic():
        DeliveryAttempt.objects.create(
            delivery=delivery,
            number=delivery.attempts,
            trigger=delivery.next_trigger,
            triggered_by_id=delivery.next_triggered_by_id,
            started_at=started_at,
            duration_ms=int(duration * 1000),
            method=prepared.method if prepared else delivery.method,
            url=url_redact(prepared.url if prepared else delivery.url),
            request_headers=headers_redact(prepared.headers) if prepared else {},
            request_body=request_body,
            response_status=response.status,
            response_headers=headers_redact(response.headers),
            response_body=response.body[:RESPONSE_BODY_LIMIT].decode("utf-8", "replace"),
            error_class=response.error_class,
            error_message=response.error_message or changes["last_error"] or outcome.reason,
            outcome=_ATTEMPT_OUTCOME[changes["status"]],
            task_id=task_id,
        )
        Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.DELIVERING).update(
            **changes,
            claim_expires_at=None,
            last_status_code=response.status,
            result=dict(outcome.result) if outcome.result else None,
            next_trigger=DeliveryAttempt.Trigger.AUTO,
            next_triggered_by=None,
        )
        if changes["status"] in (Delivery.Status.SUCCEEDED, Delivery.Status.FAILED):
            hooks.on_delivery_finished(
                delivery=delivery,
                succeeded=changes["status"] == Delivery.Status.SUCCEEDED,
                reason=changes["last_error"],
                result=dict(outcome.result) if outcome.result else None,
            )
    return changes["status"]
