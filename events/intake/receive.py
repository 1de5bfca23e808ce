"""The intake service: the one way an event and its deliveries are written, whichever door it came in by.

The doors: a webhook (``events.views``, through ``events.intake.webhook``) and a test event sent
from the admin (``events.intake.sample_events``) are ``events_receive``; a replay, of one event or
of many, from the admin or the API (``events.console.actions.event_replay``), is
``event_redeliver``. Nothing else in the product writes events or deliveries (a bulk retry job
queues existing deliveries again; ``demo``'s ``log_seed`` fills the log with synthetic rows to
measure the console, outside any flow). Every door gets the same steps:

- parsing and validation by the connector's kind, then the platform's own checks (lengths that
  fit their columns, the reward hooks' known trigger references; a replay re-reads the stored
  payload with the kind's parser, the rest was checked when the event came in);
- dedupe: a repeat of a stored event is counted on it and answered as a duplicate, an inbound
  reward request that repeats one already sent is stored ignored (a replay is a deliberate repeat
  of a stored event, so it is neither);
- translation with the connector's current mapping rules, and deliveries built held when the
  connector is paused or its secrets cannot be read;
- storage (``events.intake.store``): the event and its deliveries both or neither, one
  implementation per database, with the reward ledger in the same transaction;
- the hints to the workers, sent only after commit.

A batch is validated before anything of it is stored: a bad message of a batch whose other
messages are usable is refused alone (stored with the status ``refused``, its reasons in ``error``,
the message as its payload, and nothing to send), in the same transaction as the others (a batch
is stored whole or not at all)."""

import hashlib
import json
import logging
from contextlib import nullcontext
from dataclasses import replace
from datetime import datetime
from typing import Any, cast

from django.db import transaction
from django.db.models import CharField
from django.utils import timezone

from connectors.kinds.base import (
    ConnectorConfig,
    Direction,
    FieldError,
    IncomingEvent,
    Kind,
    PartlyInvalid,
    PayloadInvalid,
    RefusedPart,
    Translation,
)
from connectors.kinds.registry import kind_get
from connectors.models import Connector
from connectors.services import connector_config
from events.delivery import hooks
from events.intake.callers import Caller
from events.intake.store import Received, deliveries_store, event_store
from events.models import Delivery, Event
from events.rules.lookup import rules_for
from events.rules.mapping import MappingError, messages_render

logger = logging.getLogger(__name__)


def body_fingerprint(value: Any) -> str:
    """The source event id of a sender that gives none: a hash of the canonical JSON body."""
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def event_translate(
    *,
    kind: Kind,
    connector: Connector,
    config: ConnectorConfig,
    direction: str,
    incoming: IncomingEvent,
    rules: list[dict[str, Any]] | None = None,
) -> Translation:
    """Parser context → mapping rules → the kind's requests. Pure apart from reading the rules
    (``rules``: the connector's current rules when the caller has them already)."""
    if rules is None:
        rules = rules_for(connector=connector, direction=direction, kind=kind)
    try:
        messages = (
            messages_render(rules, event_type=incoming.event_type, context=incoming.context) if rules else []
        )
        return kind.build(Direction(direction), incoming, messages, config)
    except MappingError as exc:
        return Translation(failed=f"Mapping rule {exc.rule!r}, {exc.field}: {exc.message}")
    except Exception as exc:
        # A defect in a kind must not lose the event: store it failed, visibly, with the reason.
        logger.exception("Translation of %s %s failed", incoming.event_type, incoming.source_event_id)
        return Translation(failed=f"Translation error: {type(exc).__name__}: {exc}")


def idempotency_key_fit(key: str) -> str:
    """A key that fits its column: a longer one (built from a sender's long ids) keeps its start,
    for support to read, and ends with its hash, so two different keys never become one."""
    limit = cast(int, Delivery._meta.get_field("idempotency_key").max_length)  # a CharField: its max_length is set
    if len(key) <= limit:
        return key
    digest = "#sha256:" + hashlib.sha256(key.encode()).hexdigest()
    return key[: limit - len(digest)] + digest


def deliveries_build(
    *, event: Event, connector: Connector, translation: Translation, now: datetime, held_because: str = ""
) -> list[Delivery]:
    """``held_because``: why the deliveries are held though the connector is active (its secrets
    cannot be decrypted, ``ConnectorConfig.secrets_unreadable``), kept as their last error."""
    held = connector.state != Connector.State.ACTIVE or bool(held_because)
    return [
        Delivery(
            event=event,
            connector=connector,
            destination=request.destination,
            method=request.method,
            url=request.url,
            body=request.body,
            idempotency_key=idempotency_key_fit(request.idempotency_key),
            notes=request.notes,
            status=Delivery.Status.HELD if held else Delivery.Status.PENDING,
            last_error=held_because,
            next_attempt_at=None if held else now,
            enqueued_at=None if held else now,
            created_at=now,
        )
        for request in translation.requests
    ]


def event_status(translation: Translation) -> tuple[str, str]:
    if translation.failed:
        return Event.Status.FAILED, translation.failed
    if translation.ignored:
        return Event.Status.IGNORED, translation.ignored
    if not translation.requests:
        return Event.Status.IGNORED, "The event translates to nothing to send"
    return Event.Status.TRANSLATED, ""


def event_prepare(
    *,
    connector: Connector,
    config: ConnectorConfig,
    direction: str,
    incoming: IncomingEvent,
    payload: Any,
    kind: Kind,
    rules: list[dict[str, Any]] | None = None,
) -> tuple[Event, list[Delivery]]:
    """Translate one parsed event into the unsaved event and deliveries that ``event_store`` stores."""
    now = timezone.now()
    translation = event_translate(
        kind=kind, connector=connector, config=config, direction=direction, incoming=incoming, rules=rules
    )
    status, error = event_status(translation)
    event = Event(
        connector=connector,
        direction=direction,
        event_type=incoming.event_type,
        source_event_id=incoming.source_event_id,
        identity=incoming.identity or "",
        occurred_at=incoming.occurred_at,
        received_at=now,
        payload=payload,
        context=incoming.context,
        status=status,
        error=error,
    )
    return event, deliveries_build(
        event=event, connector=connector, translation=translation, now=now, held_because=config.secrets_unreadable
    )


# The event's fields a sender's values fill, with how the sender calls them in general.
_SENDER_FIELDS = (
    ("source_event_id", "The sender's event id"),
    ("identity", "The customer's identity"),
    ("event_type", "The event type"),
)


def _length_errors(incoming: IncomingEvent) -> list[FieldError]:
    """What is longer than its column: refused rather than cut, as two ids cut alike would collide.

    Kinds name the exact field for the values they check themselves; this catches the rest.
    """
    errors = []
    for name, label in _SENDER_FIELDS:
        value = getattr(incoming, name) or ""
        field = cast("CharField[str, str]", Event._meta.get_field(name))  # each of _SENDER_FIELDS is a CharField
        limit = cast(int, field.max_length)  # a CharField: its max_length is set
        if len(value) > limit:
            errors.append(FieldError(name, f"{label} is {len(value)} characters; at most {limit} are kept."))
    return errors


def _refused_event(*, connector: Connector, direction: str, part: RefusedPart) -> Event:
    """The record of a refused message. Its source id is a hash of the message, not its own id:
    the sender's corrected message, sent again under the same ``messageId``, must be a new event,
    not a duplicate of its refusal; the same bad message again is one."""
    return Event(
        connector=connector,
        direction=direction,
        event_type=part.event_type or "refused",
        source_event_id="refused:" + body_fingerprint(part.raw),
        identity=part.identity,
        occurred_at=None,
        received_at=timezone.now(),
        payload=part.raw,
        context={"batch_index": part.index},
        status=Event.Status.REFUSED,
        error="\n".join(f"{error.path}: {error.message}" if error.path else error.message for error in part.errors),
    )


def _parts(
    *, kind: Kind, connector: Connector, config: ConnectorConfig, direction: str, payload: Any
) -> tuple[list[tuple[int, IncomingEvent]], list[RefusedPart]]:
    """The body's usable events and its refused parts, each with its index. A body of one part
    that cannot be used, or of parts none of which can, raises PayloadInvalid naming every error."""
    try:
        parsed = list(enumerate(kind.parse(Direction(direction), payload, config)))
        refused: list[RefusedPart] = []
    except PartlyInvalid as partly:
        parsed, refused = partly.accepted, partly.refused
    if not parsed and not refused:
        raise PayloadInvalid([FieldError("", "The body holds no event")])
    several = len(parsed) + len(refused) > 1
    usable = []
    for index, incoming in parsed:
        event_errors = [*_length_errors(incoming), *hooks.validate(connector=connector, incoming=incoming)]
        if not event_errors:
            usable.append((index, incoming))
        elif not several:
            raise PayloadInvalid(event_errors)
        else:
            refused.append(
                RefusedPart(
                    index=index,
                    raw=incoming.raw if incoming.raw is not None else payload,
                    errors=tuple(event_errors),
                    event_type=incoming.event_type[: Event._meta.get_field("event_type").max_length],
                    identity=(incoming.identity or "")[: Event._meta.get_field("identity").max_length],
                )
            )
    refused.sort(key=lambda part: part.index)
    if not usable:
        raise PayloadInvalid([error for part in refused for error in part.errors])
    return usable, refused


def events_receive(
    *,
    connector: Connector,
    direction: str,
    payload: Any,
    config: ConnectorConfig | None = None,
    rules: list[dict[str, Any]] | None = None,
    body: bytes | None = None,
    guard: Caller | None = None,
) -> list[Received]:
    """Parse, validate, store and translate what a sender posted. Raises PayloadInvalid (→ 400)
    when nothing of it can be used; a batch's refused messages come back stored refused, with
    ``Received.refused`` saying why, beside its received ones, in the order of the body.

    ``config`` and ``rules``: the connector's, when the caller has them already (the webhook view);
    ``body``: the bytes ``payload`` was parsed from, stored as they came for an event that is the
    whole body. ``guard``: a remembered caller, checked as the first event is stored (then it held
    for the whole request, as a lookup at its start would have).
    """
    kind = kind_get(connector.kind)
    config = config or connector_config(connector)
    usable, refused = _parts(kind=kind, connector=connector, config=config, direction=direction, payload=payload)
    body_text = body.decode() if body is not None else None  # UTF-8: the view refuses any other
    parts: list[tuple[int, IncomingEvent | RefusedPart]] = [*usable, *((part.index, part) for part in refused)]
    parts.sort(key=lambda pair: pair[0])
    received: list[Received] = []
    # A batch is stored whole or not at all: a failure part-way leaves none of its events behind.
    with transaction.atomic() if len(parts) > 1 else nullcontext():
        for index, part in parts:
            first_guard = None if received else guard
            if isinstance(part, RefusedPart):
                event = _refused_event(connector=connector, direction=direction, part=part)
                stored = event_store(event, [], guard=first_guard)
                received.append(replace(stored, index=index, refused=part.errors))
                continue
            incoming = part
            raw = incoming.raw if incoming.raw is not None else payload
            if not incoming.source_event_id:
                incoming = replace(incoming, source_event_id=body_fingerprint(raw))
            event, deliveries = event_prepare(
                connector=connector, config=config, direction=direction, incoming=incoming, payload=raw,
                kind=kind, rules=rules,
            )
            stored = event_store(
                event, deliveries, payload_text=body_text if raw is payload else None, guard=first_guard
            )
            received.append(replace(stored, index=index))
    return received


def _incoming_stored(*, event: Event, kind: Kind, config: ConnectorConfig) -> IncomingEvent:
    """The stored event as its kind parses its payload now; as it was stored when the payload is
    not one event (a batch's message keeps its own payload, which parses alone) or is gone."""
    parsed = kind.parse(event.direction, event.payload, config) if event.payload is not None else []
    return parsed[0] if len(parsed) == 1 else event.incoming()


def event_redeliver(*, event: Event, note: str) -> list[Delivery]:
    """Translate a stored event again with the connector's current rules and store the result as
    new deliveries, each noted ``note`` and pointing at the event's first delivery to the same
    destination (``replay_of``); the old ones stay in the log, and the event takes the new
    translation's status, error and context. Raises PayloadInvalid when the kind can no longer
    read the stored payload; a refused message was never usable, so it gives none.

    Towards a CDP (outbound) the event is translated under a new source id, so the kind derives
    fresh message ids (Segment drops a repeated ``messageId`` as a duplicate); towards a loyalty
    engine it keeps its own, so the request carries the original reference and a reward already
    granted is not granted twice, while the ledger records the new request like the first.
    """
    if event.status == Event.Status.REFUSED:
        return []
    connector = event.connector
    kind = kind_get(connector.kind)
    config = connector_config(connector)
    now = timezone.now()
    source_event_id = event.source_event_id
    if event.direction == Direction.OUT:
        source_event_id = f"{source_event_id}~r{int(now.timestamp())}"
    incoming = replace(_incoming_stored(event=event, kind=kind, config=config), source_event_id=source_event_id)
    translation = event_translate(
        kind=kind, connector=connector, config=config, direction=event.direction, incoming=incoming
    )
    status, error = event_status(translation)
    deliveries = deliveries_build(
        event=event, connector=connector, translation=translation, now=now, held_because=config.secrets_unreadable
    )
    first_by_destination: dict[str, Delivery] = {}
    for delivery in event.deliveries.order_by("created_at"):
        first_by_destination.setdefault(delivery.destination, delivery)
    for delivery in deliveries:
        delivery.replay_of = first_by_destination.get(delivery.destination)
        delivery.notes = "\n".join(filter(None, [delivery.notes, note]))
    changes = {"status": status, "error": error, "context": incoming.context, "replayed_at": now}
    return deliveries_store(event=event, deliveries=deliveries, changes=changes)
