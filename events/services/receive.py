"""Receiving: authenticate is done by the view; here a parsed body becomes stored events, each
accepted in one statement, with the hint to translate it sent only after commit.

The request does only what the sender must hear about (a body that cannot be used is a 400 and
stores nothing); translating an accepted event into its deliveries is the worker's
(``events.services.translate``), so the webhook answers at the cost of one insert.
"""

import hashlib
import json
from dataclasses import dataclass, replace

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from connectors.kinds.base import ConnectorConfig, Direction, FieldError, IncomingEvent, PayloadInvalid
from connectors.kinds.registry import kind_get
from connectors.models import Connector
from connectors.services import connector_config
from events.models import Event
from events.queue import events_enqueue_on_commit
from events.services import hooks
from events.services.event_insert import event_insert


@dataclass(frozen=True)
class Received:
    event: Event
    duplicate: bool


def body_fingerprint(value) -> str:
    """The source event id of a sender that gives none: a hash of the canonical JSON body."""
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def _duplicate_count(*, connector: Connector, direction: str, source_event_id: str, now) -> Event | None:
    events = Event.objects.filter(connector=connector, direction=direction, source_event_id=source_event_id)
    events.update(duplicate_count=F("duplicate_count") + 1, last_duplicate_at=now)
    return events.only("id", "public_id", "status", "duplicate_count").first()


def event_store(
    *,
    connector: Connector,
    direction: str,
    incoming: IncomingEvent,
    payload,
    payload_text: str | None = None,
) -> Received:
    """Store one parsed event as accepted, or count a repeat; its translation hint follows the commit.

    On PostgreSQL the event is one statement (``event_insert``, which stores ``payload_text``, the
    JSON ``payload`` was parsed from, as it came); on SQLite one ORM insert.
    """
    now = timezone.now()
    event = Event(
        connector=connector,
        direction=direction,
        event_type=incoming.event_type[:120],
        source_event_id=incoming.source_event_id,
        identity=(incoming.identity or "")[:200],
        occurred_at=incoming.occurred_at,
        received_at=now,
        payload=payload,
        context=incoming.context,
        status=Event.Status.ACCEPTED,
        enqueued_at=now,
    )
    if connection.vendor == "postgresql":
        stored = event_insert(event, payload_text=payload_text)  # a repeat: nothing, no error
    else:
        try:
            with transaction.atomic():
                event.save(force_insert=True)
            stored = True
        except IntegrityError:
            stored = False
    if stored:
        events_enqueue_on_commit([event.pk])
        return Received(event=event, duplicate=False)
    existing = _duplicate_count(
        connector=connector, direction=direction, source_event_id=incoming.source_event_id, now=now
    )
    if existing is None:
        raise IntegrityError(f"Event {incoming.source_event_id!r} was neither stored nor found")
    return Received(event=existing, duplicate=True)


def events_receive(
    *,
    connector: Connector,
    direction: str,
    payload,
    config: ConnectorConfig | None = None,
    body: bytes | None = None,
) -> list[Received]:
    """Parse, validate and store what a sender posted, each event accepted for the worker to
    translate. Raises PayloadInvalid (→ 400).

    ``config``: the connector's, when the caller has it already (the webhook view); ``body``: the
    bytes ``payload`` was parsed from, stored as they came for an event that is the whole body.
    """
    kind = kind_get(connector.kind)
    config = config or connector_config(connector)
    incoming_events = kind.parse(Direction(direction), payload, config)
    if not incoming_events:
        raise PayloadInvalid([FieldError("", "The body holds no event")])
    errors = [error for incoming in incoming_events for error in hooks.validate(connector=connector, incoming=incoming)]
    if errors:
        raise PayloadInvalid(errors)
    try:
        body_text = body.decode() if body is not None else None
    except UnicodeDecodeError:  # JSON in UTF-16 or UTF-32: parsed fine, stored re-serialised
        body_text = None
    received = []
    for incoming in incoming_events:
        raw = incoming.raw if incoming.raw is not None else payload
        if not incoming.source_event_id:
            incoming = replace(incoming, source_event_id=body_fingerprint(raw))
        received.append(
            event_store(
                connector=connector,
                direction=direction,
                incoming=incoming,
                payload=raw,
                payload_text=body_text if raw is payload else None,
            )
        )
    return received
