"""Recording what a send came to: one attempt per delivery carried, and each delivery's next state.

The delivery log is append-only: an attempt says what was sent and answered, with secrets
redacted wherever they are echoed (headers, URL, bodies, errors).
"""

import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, Field, Model, Value, When
from django.db.models.functions import Cast
from django.utils import timezone

from connectors.kinds.base import Outcome, OutcomeKind, PreparedRequest
from connectors.redaction import headers_secrets_redact, text_redact
from connectors.services import connector_config_cached
from core.bulk import bulk_insert
from events.delivery import hooks, policy
from events.delivery.sending import RESPONSE_BODY_LIMIT, Response, Send, Sent
from events.models import Delivery, DeliveryAttempt

REQUEST_BODY_LIMIT = 64 * 1024
REDACTED = "[redacted]"
_SECRET_HEADER = re.compile(r"auth|token|key|secret|signature|hash|cookie", re.IGNORECASE)
_SECRET_QUERY = re.compile(r"([?&][^=&]*(?:token|key|secret|signature)[^=&]*=)[^&]*", re.IGNORECASE)


def headers_redact(headers: Mapping[str, str]) -> dict[str, str]:
    return {name: (REDACTED if _SECRET_HEADER.search(name) else value) for name, value in headers.items()}


def url_redact(url: str) -> str:
    return _SECRET_QUERY.sub(rf"\1{REDACTED}", url)


def _next_state(*, delivery: Delivery, response: Response, outcome: Outcome, now: datetime) -> dict[str, Any]:
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


def _request_body(send: Send, prepared: PreparedRequest | None, delivery: Delivery) -> str:
    """What was sent for this delivery: its own body, not the whole merged request."""
    if prepared is None:
        return ""
    sent = prepared.body
    if len(send.deliveries) > 1:
        sent = json.dumps(delivery.body, separators=(",", ":")).encode()
    return sent[:REQUEST_BODY_LIMIT].decode("utf-8", "replace")


def _deliveries_update(changes: dict[int, dict[str, Any]], common: dict[str, Any]) -> None:
    """Apply each row's changes and the common ones, in one UPDATE per set of changed fields: a
    value every row shares is set as is, the others by id. Only rows still *delivering* change:
    a row someone else reclaimed is theirs."""
    by_fields: dict[frozenset[str], dict[int, dict[str, Any]]] = {}
    for pk, state in changes.items():
        by_fields.setdefault(frozenset(state), {})[pk] = state
    for names, rows in by_fields.items():
        update = dict(common)
        for name in names:
            values = {pk: row[name] for pk, row in rows.items()}
            if len(set(values.values())) == 1:
                update[name] = next(iter(values.values()))
                continue
            # A column of the row: the changes name the delivery's own fields, never a reverse relation.
            field = cast("Field[Any, Any]", Delivery._meta.get_field(name))
            case: Case | Cast = Case(
                *(When(pk=pk, then=Value(value, output_field=field)) for pk, value in values.items()),
                output_field=field,
            )
            if connection.features.requires_casted_case_in_updates:
                case = Cast(case, output_field=field)
            update[name] = case
        Delivery.objects.filter(pk__in=list(rows), status=Delivery.Status.DELIVERING).update(**update)


def _attempt_row(
    *, send: Send, sent: Sent, delivery: Delivery, state: dict[str, Any], secrets: Mapping[str, str], task_id: str
) -> DeliveryAttempt:
    """The attempt of one delivery the send carried, its secrets redacted wherever echoed."""
    response, prepared = sent.response, sent.prepared
    return DeliveryAttempt(
        delivery=delivery,
        number=delivery.attempts,
        trigger=delivery.next_trigger,
        triggered_by_id=delivery.next_triggered_by_id,
        started_at=sent.started_at,
        duration_ms=int(sent.duration * 1000),
        method=prepared.method if prepared else send.request.method,
        url=text_redact(url_redact(prepared.url if prepared else send.request.url), secrets),
        request_headers=headers_secrets_redact(headers_redact(prepared.headers), secrets) if prepared else {},
        request_body=_request_body(send, prepared, delivery),
        response_status=response.status,
        response_headers=headers_secrets_redact(headers_redact(response.headers), secrets),
        response_body=text_redact(
            response.body[:RESPONSE_BODY_LIMIT].decode("utf-8", "replace"), secrets,
            cut=len(response.body) > RESPONSE_BODY_LIMIT,
        ),
        error_class=response.error_class,
        error_message=text_redact(" ".join(filter(None, (
            response.error_message or state["last_error"] or sent.outcome.reason, send.note
        ))), secrets),
        outcome=_ATTEMPT_OUTCOME[state["status"]],
        task_id=task_id,
    )


def attempts_record(*, send: Send, sent: Sent, task_id: str) -> dict[int, str]:
    """One attempt per delivery carried, and each delivery's next state, in one transaction."""
    now = timezone.now()
    response, outcome = sent.response, sent.outcome
    result = dict(outcome.result) if outcome.result else None
    changes = {
        delivery.pk: _next_state(delivery=delivery, response=response, outcome=outcome, now=now)
        for delivery in send.deliveries
    }
    secrets = connector_config_cached(send.connector).secrets  # found and redacted wherever echoed
    for state in changes.values():  # an error quoting the URL it could not reach quotes its token
        state["last_error"] = text_redact(state["last_error"], secrets)
    attempts: list[Model] = [  # bulk_insert takes a list of any model
        _attempt_row(
            send=send, sent=sent, delivery=delivery, state=changes[delivery.pk], secrets=secrets, task_id=task_id
        )
        for delivery in send.deliveries
    ]
    common = {
        "claim_expires_at": None,
        "last_status_code": response.status,
        "result": result,
        "next_trigger": DeliveryAttempt.Trigger.AUTO,
        "next_triggered_by": None,
    }
    with transaction.atomic():
        bulk_insert(DeliveryAttempt, attempts)
        _deliveries_update(changes, common)
        for delivery in send.deliveries:
            state = changes[delivery.pk]
            if state["status"] not in (Delivery.Status.SUCCEEDED, Delivery.Status.FAILED):
                continue
            for name, value in {**common, **state}.items():
                setattr(delivery, name, value)
            hooks.on_delivery_finished(
                delivery=delivery,
                succeeded=state["status"] == Delivery.Status.SUCCEEDED,
                reason=state["last_error"],
                result=result,
            )
    return {pk: state["status"] for pk, state in changes.items()}
