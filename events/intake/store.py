"""Writing what intake made: a new event with its deliveries (``event_store``), or new deliveries
for an event stored before (``deliveries_store``, a replay).

Both write the reward bookkeeping in the same transaction as the rows it is about, and hint the
pending deliveries to a worker only after commit (the row is the outbox, the hint only a hint).
Reward bookkeeping (``hooks.on_event_stored_wanted``: a reward request, or its confirmation) is
the only reason for a transaction around one event: its repeat check claims before the insert and
its ledger needs the inserted ids. Every other event is the insert alone, on PostgreSQL one
statement in autocommit (``events.intake.event_insert``, one implementation per database).
"""

from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F

from connectors.kinds.base import FieldError
from connectors.models import Connector
from events.delivery import hooks
from events.delivery.queue import deliveries_enqueue_on_commit
from events.intake.callers import Caller
from events.intake.event_insert import event_insert
from events.models import Delivery, Event


@dataclass(frozen=True)
class Received:
    """One event as intake stored it, or the stored event it repeats (``duplicate``)."""

    event: Event
    duplicate: bool
    index: int = 0  # the event's place in the body (a batch's message index)
    refused: tuple[FieldError, ...] = ()  # why a batch's message was refused alone (event stored refused)


class _Repeat(Exception):
    """The event was stored before: what its bookkeeping claimed is rolled back with it."""


def _stored(event: Event, deliveries: list[Delivery], *, bookkeeping: bool) -> None:
    """What follows every insert, in its transaction: the reward ledger, then the hints on commit."""
    if bookkeeping:
        hooks.on_event_stored(event=event, deliveries=deliveries)
    deliveries_enqueue_on_commit([d.pk for d in deliveries if d.status == Delivery.Status.PENDING])


def _duplicate_count(*, connector: Connector, direction: str, source_event_id: str, now: datetime) -> Event | None:
    events = Event.objects.filter(connector=connector, direction=direction, source_event_id=source_event_id)
    events.update(duplicate_count=F("duplicate_count") + 1, last_duplicate_at=now)
    return events.only("id", "public_id", "status", "duplicate_count").first()


def event_store(
    event: Event, deliveries: list[Delivery], *, payload_text: str | None = None, guard: Caller | None = None
) -> Received:
    """Store one event with its deliveries (``event_prepare``'s), both or neither; a repeat of an
    event stored before is counted on that one and answered as a duplicate.

    An inbound reward request that repeats one already sent (``hooks.repeat_suppress``) is stored
    ignored, with nothing to send, and answered as a duplicate too. ``payload_text``: the JSON the
    payload was parsed from, stored as it came. ``guard``: a remembered caller that must still
    hold (``events.intake.callers``); if it does not, nothing is stored and ``CallerChanged`` is raised.
    """
    bookkeeping = hooks.on_event_stored_wanted(direction=event.direction, event_type=event.event_type)
    repeat = False
    try:
        with transaction.atomic() if bookkeeping else nullcontext():
            repeat = bookkeeping and hooks.repeat_suppress(event=event)
            if repeat:
                deliveries = []
            if not event_insert(event, deliveries, payload_text=payload_text, guard=guard):
                raise _Repeat
            _stored(event, deliveries, bookkeeping=bookkeeping)
    except _Repeat:
        existing = _duplicate_count(
            connector=event.connector, direction=event.direction, source_event_id=event.source_event_id,
            now=event.received_at,
        )
        if existing is None:
            raise IntegrityError(f"Event {event.source_event_id!r} was neither stored nor found") from None
        return Received(event=existing, duplicate=True)
    return Received(event=event, duplicate=repeat)


def deliveries_store(*, event: Event, deliveries: list[Delivery], changes: dict[str, Any]) -> list[Delivery]:
    """Store new deliveries of a stored event and apply ``changes`` to the event, in one
    transaction with their reward bookkeeping. Rare and driven by staff, so the ORM's insert
    serves every database (it reads the primary keys back, which the ledger and the hints need)."""
    bookkeeping = hooks.on_event_stored_wanted(direction=event.direction, event_type=event.event_type)
    with transaction.atomic():
        deliveries = Delivery.objects.bulk_create(deliveries)
        _stored(event, deliveries, bookkeeping=bookkeeping)
        Event.objects.filter(pk=event.pk).update(**changes)
    return deliveries
