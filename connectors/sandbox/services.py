"""Recording, failure injection and inspection shared by every sandbox upstream.

An upstream's API endpoint is a *handler*: a function of the :class:`Call` it received that returns
the :class:`Reply` to send. :func:`sandbox_call` wraps every handler the same way: it applies the
upstream's behaviour (delay, injected failure), runs the handler and records the request and the
answer, so ``GET /sandbox/<upstream>/received`` shows exactly what a connector sent.
"""

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import F

from connectors.sandbox.models import (
    SandboxBehaviour,
    SandboxRecord,
    SandboxRequest,
    SandboxSegmentMessage,
)
from connectors.sandbox.upstreams import upstreams

MAX_DELAY_MS = 60_000
DEFAULT_FAILURE_STATUS = 500
_BEHAVIOUR_KEYS = {"status", "delay_ms", "fail_first", "retry_after"}


@dataclass(frozen=True)
class Call:
    """One request as an upstream received it."""

    method: str
    path: str  # path and query string, as received
    query: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""

    def header(self, name: str) -> str:
        wanted = name.lower()
        return next((value for key, value in self.headers.items() if key.lower() == wanted), "")

    def json(self) -> Any:
        """The parsed body; raises ValueError when it is not JSON."""
        return json.loads(self.body)


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any = None  # JSON-serialisable; None sends an empty body
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class BehaviourDecision:
    fail_status: int | None
    delay_ms: int
    retry_after: int | None


class BehaviourInvalid(ValueError):
    pass


def _body_for_record(body: bytes) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return body.decode("utf-8", errors="replace")


def sandbox_record(*, upstream: str, call: Call, reply: Reply) -> SandboxRequest:
    return SandboxRequest.objects.create(
        upstream=upstream,
        method=call.method,
        path=call.path,
        query=dict(call.query),
        headers=dict(call.headers),
        body=_body_for_record(call.body),
        status=reply.status,
        response=reply.body,
    )


def _whole_number(data: Mapping[str, Any], key: str, *, low: int, high: int | None = None) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high and value > high):
        bound = f"between {low} and {high}" if high else f"{low} or more"
        raise BehaviourInvalid(f"{key} must be a whole number {bound}, not {value!r}.")
    return int(value)


def behaviour_options(data: Any) -> dict[str, int | None]:
    """Validate a behaviour document (``{"status", "delay_ms", "fail_first", "retry_after"}``)."""
    if not isinstance(data, dict):
        raise BehaviourInvalid("The behaviour must be a JSON object.")
    unknown = sorted(set(data) - _BEHAVIOUR_KEYS)
    if unknown:
        raise BehaviourInvalid(
            f"Unknown keys {', '.join(unknown)}; use {', '.join(sorted(_BEHAVIOUR_KEYS))}."
        )
    return {
        "status": _whole_number(data, "status", low=100, high=599),
        "delay_ms": _whole_number(data, "delay_ms", low=0, high=MAX_DELAY_MS) or 0,
        "fail_first": _whole_number(data, "fail_first", low=0) or 0,
        "retry_after": _whole_number(data, "retry_after", low=0),
    }


def sandbox_behaviour_set(
    *,
    upstream: str,
    status: int | None = None,
    delay_ms: int = 0,
    fail_first: int = 0,
    retry_after: int | None = None,
) -> SandboxBehaviour:
    """Replace the upstream's behaviour; all defaults restore normal service.

    ``status`` alone fails every call; ``fail_first`` N fails the next N calls (with ``status``, or
    500 when none is given) and then serves normally. The failure count restarts from zero.
    """
    if status is None and fail_first:
        status = DEFAULT_FAILURE_STATUS
    behaviour, _ = SandboxBehaviour.objects.update_or_create(
        upstream=upstream,
        defaults={
            "respond_status": status,
            "delay_ms": delay_ms,
            "fail_first_n": fail_first,
            "failures_served": 0,
            "retry_after": retry_after,
        },
    )
    return behaviour


def sandbox_behaviour_describe(*, upstream: str) -> dict[str, Any]:
    behaviour = SandboxBehaviour.objects.filter(upstream=upstream).first() or SandboxBehaviour(
        upstream=upstream
    )
    return {
        "upstream": upstream,
        "status": behaviour.respond_status,
        "delay_ms": behaviour.delay_ms,
        "fail_first": behaviour.fail_first_n,
        "failures_served": behaviour.failures_served,
        "retry_after": behaviour.retry_after,
    }


def sandbox_behaviour_take(*, upstream: str) -> BehaviourDecision:
    """Decide how to treat the next call, claiming one of the first-N failures if any is left."""
    behaviour = SandboxBehaviour.objects.filter(upstream=upstream).first()
    if behaviour is None:
        return BehaviourDecision(fail_status=None, delay_ms=0, retry_after=None)
    fail_status = behaviour.respond_status
    if fail_status is not None and behaviour.fail_first_n:
        claimed = SandboxBehaviour.objects.filter(
            pk=behaviour.pk, failures_served__lt=F("fail_first_n")
        ).update(failures_served=F("failures_served") + 1)
        fail_status = fail_status if claimed else None
    return BehaviourDecision(
        fail_status=fail_status, delay_ms=behaviour.delay_ms, retry_after=behaviour.retry_after
    )


def _injected_failure(*, upstream: str, status: int, retry_after: int | None) -> Reply:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    body = {"code": "sandbox_injected_failure", "message": f"The {upstream} sandbox was told to answer {status}."}
    return Reply(status=status, body=body, headers=headers)


def sandbox_call(*, upstream: str, call: Call, handle: Callable[[Call], Reply]) -> Reply:
    """Serve one API call: behaviour first, then the handler, and record both sides."""
    decision = sandbox_behaviour_take(upstream=upstream)
    if decision.delay_ms:
        time.sleep(decision.delay_ms / 1000)
    with transaction.atomic():
        if decision.fail_status is not None:
            reply = _injected_failure(
                upstream=upstream, status=decision.fail_status, retry_after=decision.retry_after
            )
        else:
            reply = handle(call)
        sandbox_record(upstream=upstream, call=call, reply=reply)
    return reply


def sandbox_record_keep(
    *, upstream: str, key: str, data: dict[str, Any], group: str = ""
) -> tuple[dict[str, Any], bool]:
    """Store ``data`` under ``key`` unless something is already there; return what is kept."""
    record, created = SandboxRecord.objects.get_or_create(
        upstream=upstream, key=key, defaults={"data": data, "group": group}
    )
    return record.data, created


def sandbox_record_put(*, upstream: str, key: str, data: dict[str, Any], group: str = "") -> None:
    SandboxRecord.objects.update_or_create(
        upstream=upstream, key=key, defaults={"data": data, "group": group}
    )


def sandbox_record_find(*, upstream: str, key: str) -> dict[str, Any] | None:
    record = SandboxRecord.objects.filter(upstream=upstream, key=key).first()
    return record.data if record else None


def sandbox_record_group(*, upstream: str, group: str) -> list[dict[str, Any]]:
    return [record.data for record in SandboxRecord.objects.filter(upstream=upstream, group=group)]


def _request_json(row: SandboxRequest) -> dict[str, Any]:
    return {
        "id": row.id,
        "received_at": row.received_at.isoformat(),
        "method": row.method,
        "path": row.path,
        "query": row.query,
        "headers": row.headers,
        "body": row.body,
        "status": row.status,
        "response": row.response,
    }


def _message_json(row: SandboxSegmentMessage) -> dict[str, Any]:
    return {
        "message_id": row.message_id,
        "type": row.type,
        "event": row.event,
        "user_id": row.user_id,
        "message": row.message,
        "first_seen_at": row.first_seen_at.isoformat(),
        "duplicate_count": row.duplicate_count,
    }


def sandbox_received_list(*, upstream: str) -> dict[str, Any]:
    """Everything the upstream received, oldest first (Segment adds its de-duplicated messages)."""
    received: dict[str, Any] = {
        "upstream": upstream,
        "requests": [_request_json(row) for row in SandboxRequest.objects.filter(upstream=upstream)],
    }
    if upstreams()[upstream].keeps_messages:
        received["messages"] = [
            _message_json(row) for row in SandboxSegmentMessage.objects.filter(upstream=upstream)
        ]
    return received


@transaction.atomic
def sandbox_received_clear(*, upstream: str) -> None:
    """Forget what the upstream received and holds, and restart its failure count."""
    SandboxRequest.objects.filter(upstream=upstream).delete()
    SandboxSegmentMessage.objects.filter(upstream=upstream).delete()
    SandboxRecord.objects.filter(upstream=upstream).delete()
    SandboxBehaviour.objects.filter(upstream=upstream).update(failures_served=0)
