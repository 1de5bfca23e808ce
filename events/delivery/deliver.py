"""Delivering: claim due rows atomically, send each once, record the attempts, decide what comes next.

Rows claimed together are sent together where their kind allows it: requests to one target are
merged (``Kind.merge``, e.g. Segment batches) and each delivery still gets its own attempt.
"""

import json
import logging
import re
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import requests
import urllib3
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, F, Field, Model, QuerySet, Value, When
from django.db.models.functions import Cast
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
from connectors.redaction import headers_secrets_redact, text_redact
from connectors.services import SECRETS_UNREADABLE, connector_config, connector_config_cached
from core.bulk import bulk_insert
from core.logs import log_context_bind
from events.delivery import hooks, policy
from events.delivery.destinations import Admission, destination_admit, destination_settle
from events.delivery.http import AddressRefused, http_send
from events.delivery.queue import TimeLimitExceeded, deliveries_enqueue
from events.models import Delivery, DeliveryAttempt

logger = logging.getLogger(__name__)

# What the HTTP client may raise, as it reads the socket through urllib3: nothing else is caught.
_TIMEOUTS = (requests.Timeout, urllib3.exceptions.TimeoutError, TimeoutError)
_NETWORK_ERRORS = (requests.RequestException, urllib3.exceptions.HTTPError, OSError)
RESPONSE_BODY_LIMIT = 8 * 1024
REQUEST_BODY_LIMIT = 64 * 1024
REDACTED = "[redacted]"
# Time kept back from a claim for recording the last request's outcome; a request is only started
# while a whole one (its total deadline) still fits before the claims expire.
CLAIM_MARGIN_SECONDS = 10
_SECRET_HEADER = re.compile(r"auth|token|key|secret|signature|hash|cookie", re.IGNORECASE)
_SECRET_QUERY = re.compile(r"([?&][^=&]*(?:token|key|secret|signature)[^=&]*=)[^&]*", re.IGNORECASE)


def headers_redact(headers: Mapping[str, str]) -> dict[str, str]:
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


def delivery_claim(*, delivery_id: int, now: datetime | None = None) -> bool:
    """Atomically move a due row to *delivering*. Only one caller can win."""
    return bool(_deliveries_claim(delivery_ids=[delivery_id], now=now or timezone.now()))


def _due(now: datetime) -> QuerySet[Delivery]:
    return Delivery.objects.select_for_update(skip_locked=True, of=("self",)).filter(
        status__in=Delivery.DUE_STATUSES, next_attempt_at__lte=now
    )


def _deliveries_claim(*, delivery_ids: list[int], now: datetime, top_up: bool = False) -> list[Delivery]:
    """Move the due rows among ``delivery_ids`` to *delivering*; return them with their connectors.

    ``top_up``: also claim other due rows of the same connectors, when their kind merges requests,
    up to ``DELIVERY_BATCH_SIZE`` rows in all, oldest first (index ``delivery_connector_due``).
    Under load a hint then carries a full batch to the destination whatever the hints held; the
    hints of rows taken this way find nothing left to do.

    The rows are locked while being claimed and rows another transaction holds are skipped, so
    exactly one worker claims each. SQLite has no row locks: its IMMEDIATE transactions take the
    write lock at BEGIN and run claims one after the other. The returned rows keep the status they
    had before (``_release`` puts it back) and count this attempt.
    """
    with transaction.atomic():
        deliveries = list(_due(now).select_related("connector").filter(pk__in=delivery_ids).order_by("pk"))
        room = settings.DELIVERY_BATCH_SIZE - len(deliveries)
        merging = {delivery.connector_id for delivery in deliveries if kind_get(delivery.connector.kind).merge}
        for connector_id in sorted(merging) if top_up else ():
            if room <= 0:
                break
            more = list(
                _due(now).select_related("connector")
                .filter(connector_id=connector_id)
                .exclude(pk__in=[delivery.pk for delivery in deliveries])
                .order_by("next_attempt_at")[:room]
            )
            deliveries += more
            room -= len(more)
        if deliveries:
            Delivery.objects.filter(pk__in=[delivery.pk for delivery in deliveries]).update(
                status=Delivery.Status.DELIVERING,
                claim_expires_at=now + timedelta(seconds=settings.DELIVERY_CLAIM_SECONDS),
                enqueued_at=None,
                attempts=F("attempts") + 1,
            )
    for delivery in deliveries:
        delivery.attempts += 1
    return sorted(deliveries, key=lambda delivery: delivery.pk)


def _hold(deliveries: list[Delivery], **reason: str) -> None:
    """Hold claimed rows, this attempt uncounted; ``reason``: ``last_error``, when not a pause."""
    Delivery.objects.filter(pk__in=[delivery.pk for delivery in deliveries]).update(
        status=Delivery.Status.HELD,
        attempts=F("attempts") - 1,
        claim_expires_at=None,
        next_attempt_at=None,
        **reason,
    )


def _release(deliveries: list[Delivery], **changes: Any) -> dict[int, str]:
    """Give back claimed rows that were not sent: still due, this attempt uncounted, hinted again
    by the next sweep. ``changes``: when they are due again, and why, if they must wait."""
    statuses = {delivery.pk: delivery.status for delivery in deliveries}
    for status in set(statuses.values()):
        Delivery.objects.filter(
            pk__in=[pk for pk, was in statuses.items() if was == status], status=Delivery.Status.DELIVERING
        ).update(status=status, attempts=F("attempts") - 1, claim_expires_at=None, enqueued_at=None, **changes)
    return statuses


def _wait(deliveries: tuple[Delivery, ...], admission: Admission) -> dict[int, str]:
    """Deliveries whose destination may not be sent to now wait, uncounted, until it may."""
    changes: dict[str, datetime | str | None] = {"next_attempt_at": admission.wait_until}
    if admission.reason:
        changes["last_error"] = admission.reason
    return _release(list(deliveries), **changes)


@dataclass(frozen=True)
class _Send:
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


def _sends_plan(deliveries: list[Delivery]) -> list[_Send]:
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
            sends.append(_Send(kind, connector, merged.request, carried, note))
    return sends


def _sends_alone(send: _Send, outcome: Outcome) -> list[_Send]:
    """A merged request refused for good: one bad message must not fail the others."""
    note = f"Sent alone: the request it shared with {_others(len(send.deliveries) - 1)} was refused ({outcome.reason})."
    return [
        _Send(send.kind, send.connector, _request_of(delivery), (delivery,), note) for delivery in send.deliveries
    ]


@dataclass(frozen=True)
class _Sent:
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


def _send_once(send: _Send, configs: dict[int, ConnectorConfig]) -> _Sent:
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
        return _Sent(None, response, Outcome(OutcomeKind.TERMINAL, response.error_message), started_at, 0.0)
    try:
        response = _send(prepared)
    except BaseException as exc:  # the request may have arrived: an attempt to record, never a success
        reason = _interruption_reason(exc)
        response = Response(None, {}, b"", type(exc).__name__, reason, timed_out=True)
        outcome = Outcome(OutcomeKind.RETRY, reason)
        return _Sent(prepared, response, outcome, started_at, time.monotonic() - clock, interrupted=exc)
    outcome = _classify(request=send.request, kind=send.kind, response=response)
    return _Sent(prepared, response, outcome, started_at, time.monotonic() - clock)


def delivery_attempt(*, delivery_id: int, task_id: str = "") -> str | None:
    """Make one attempt at a due delivery. Returns the new status, or None when not claimed."""
    return deliveries_attempt(delivery_ids=[delivery_id], task_id=task_id).get(delivery_id)


def _one_destination(delivery_ids: list[int]) -> list[int]:
    """The ids of one connector's destination (the lowest id's); the others are hinted apart.

    A worker sends one request after another: a hint that mixed destinations would make one
    client's deliveries wait behind another's slow destination.
    """
    groups: dict[tuple[int, str], list[int]] = {}
    rows = Delivery.objects.filter(pk__in=delivery_ids).order_by("pk")
    for pk, connector_id, destination in rows.values_list("pk", "connector_id", "destination"):
        groups.setdefault((connector_id, destination), []).append(pk)
    if len(groups) <= 1:
        return delivery_ids
    first, *others = groups.values()
    for ids in others:
        deliveries_enqueue(ids)
    return first


def deliveries_attempt(*, delivery_ids: list[int], task_id: str = "", top_up: bool = False) -> dict[int, str]:
    """Make one attempt at each due delivery among ``delivery_ids`` (and, with ``top_up``, at other
    due rows of the same connectors, see ``_deliveries_claim``), merging requests where the kind
    allows; returns the new status of each row claimed. Rows not due are someone else's.

    With ``top_up`` (a worker's hint) only one connector's destination is attempted; the others'
    ids are hinted again apart (``_one_destination``). Each request first asks its destination
    (``destination_admit``): a destination at its concurrency cap or over the connector's rate, or
    with its circuit open, makes its deliveries wait, uncounted, until the time it says."""
    started = time.monotonic()
    if top_up:
        delivery_ids = _one_destination(delivery_ids)
    deliveries = _deliveries_claim(delivery_ids=delivery_ids, now=timezone.now(), top_up=top_up)
    held = [delivery for delivery in deliveries if delivery.connector.state != Connector.State.ACTIVE]
    if held:
        _hold(held)
    # Secrets no key decrypts: nothing can be sent, through no fault of the delivery's; held, never failed.
    locked = [
        delivery for delivery in deliveries
        if delivery.connector.state == Connector.State.ACTIVE
        and connector_config_cached(delivery.connector).secrets_unreadable
    ]
    if locked:
        _hold(locked, last_error=SECRETS_UNREADABLE)
    held += locked
    statuses: dict[int, str] = {delivery.pk: Delivery.Status.HELD for delivery in held}
    sends = deque(_sends_plan([delivery for delivery in deliveries if delivery.pk not in statuses]))
    # The claims expire after DELIVERY_CLAIM_SECONDS, and the sweeper then gives the rows to
    # another worker: a request is only started while it can end before that.
    send_until = started + settings.DELIVERY_CLAIM_SECONDS - CLAIM_MARGIN_SECONDS - settings.HTTP_TOTAL_TIMEOUT
    configs: dict[int, ConnectorConfig] = {}
    # Until one send has been recorded, the next is made whatever the time: a claim always settles
    # at least one delivery. Otherwise a merged request refused for good, whose deliveries are then
    # to be sent alone, could be given back unsent, claimed and merged again, for ever.
    recorded_one = False
    while sends:
        if recorded_one and time.monotonic() > send_until:
            statuses.update(_release([delivery for send in sends for delivery in send.deliveries]))
            break
        send = sends.popleft()
        log_context_bind(connector=str(send.connector.public_id), delivery_ids=[d.pk for d in send.deliveries])
        admission = destination_admit(
            connector_id=send.connector.pk,
            destination=send.request.destination,
            now=timezone.now(),
            rate_per_second=send.connector.destination_rate_per_second,
        )
        if not admission.admitted:
            statuses.update(_wait(send.deliveries, admission))
            continue
        try:
            sent = _send_once(send, configs)
        except BaseException:  # interrupted before sending: nothing to record, every row goes back
            destination_settle(admission=admission, now=timezone.now(), sent=False)
            _release([*send.deliveries, *(delivery for later in sends for delivery in later.deliveries)])
            raise
        failed = sent.outcome.kind is OutcomeKind.RETRY
        destination_settle(
            admission=admission, now=timezone.now(), sent=sent.prepared is not None,
            failure=sent.outcome.reason if failed else "",
        )
        if sent.outcome.kind is OutcomeKind.TERMINAL and len(send.deliveries) > 1:
            sends.extendleft(reversed(_sends_alone(send, sent.outcome)))
            continue
        statuses.update(_record(send=send, sent=sent, task_id=task_id))
        recorded_one = True
        if sent.interrupted is not None:
            _release([delivery for later in sends for delivery in later.deliveries])
            raise sent.interrupted
    return statuses


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


def _request_body(send: _Send, prepared: PreparedRequest | None, delivery: Delivery) -> str:
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


def _record(*, send: _Send, sent: _Sent, task_id: str) -> dict[int, str]:
    """One attempt per delivery carried, and each delivery's next state, in one transaction."""
    now = timezone.now()
    response, outcome, prepared = sent.response, sent.outcome, sent.prepared
    result = dict(outcome.result) if outcome.result else None
    changes = {
        delivery.pk: _next_state(delivery=delivery, response=response, outcome=outcome, now=now)
        for delivery in send.deliveries
    }
    secrets = connector_config_cached(send.connector).secrets  # found and redacted wherever echoed
    for state in changes.values():  # an error quoting the URL it could not reach quotes its token
        state["last_error"] = text_redact(state["last_error"], secrets)
    attempts: list[Model] = [  # bulk_insert takes a list of any model
        DeliveryAttempt(
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
                response.error_message or changes[delivery.pk]["last_error"] or outcome.reason, send.note
            ))), secrets),
            outcome=_ATTEMPT_OUTCOME[changes[delivery.pk]["status"]],
            task_id=task_id,
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
