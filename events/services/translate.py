"""Translating: the worker's half of receiving. An event stored as accepted becomes its deliveries.

The webhook stores the event and hints its id (``events.services.receive``); here the hinted
events still accepted are locked, translated with their connector's current mapping rules, and
updated to translated, ignored or failed with the reason, together with their deliveries in one
transaction: all of a batch or none of it. An event whose hint was lost stays accepted with a
stale ``enqueued_at``, and the sweeper hints it again; a second hint for an event already
translated finds nothing to do.
"""

import logging
from collections import defaultdict

from django.db import transaction
from django.utils import timezone

from connectors.kinds.base import ConnectorConfig, Direction, IncomingEvent, Kind, Translation
from connectors.kinds.registry import kind_get
from connectors.models import Connector
from connectors.services import connector_config_cached
from events.mapping import MappingError, messages_render
from events.models import Delivery, Event
from events.queue import deliveries_enqueue_on_commit
from events.services import hooks
from events.services.rules import rules_for

logger = logging.getLogger(__name__)


def event_translate(
    *,
    kind: Kind,
    connector: Connector,
    config: ConnectorConfig,
    direction: str,
    incoming: IncomingEvent,
    rules: list[dict] | None = None,
) -> Translation:
    """Parser context → mapping rules → the kind's requests. Pure apart from reading the rules
    (``rules``: the connector's current rules when the caller has them already)."""
    if rules is None:
        rules = rules_for(connector=connector, direction=direction, kind=kind)
    try:
        messages = messages_render(rules, event_type=incoming.event_type, context=incoming.context) if rules else []
        return kind.build(Direction(direction), incoming, messages, config)
    except MappingError as exc:
        return Translation(failed=f"Mapping rule {exc.rule!r}, {exc.field}: {exc.message}")
    except Exception as exc:
        # A defect in a kind must not lose the event: store it failed, visibly, with the reason.
        logger.exception("Translation of %s %s failed", incoming.event_type, incoming.source_event_id)
        return Translation(failed=f"Translation error: {type(exc).__name__}: {exc}")


def deliveries_build(*, event: Event, connector: Connector, translation: Translation, now) -> list[Delivery]:
    held = connector.state != Connector.State.ACTIVE
    return [
        Delivery(
            event=event,
            connector=connector,
            destination=request.destination,
            method=request.method,
            url=request.url,
            body=request.body,
            idempotency_key=request.idempotency_key,
            notes=request.notes,
            status=Delivery.Status.HELD if held else Delivery.Status.PENDING,
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



def _incoming(event: Event) -> IncomingEvent:
    """The parsed event as the webhook stored it (the context is what the kind's parser gave)."""
    return IncomingEvent(
        event_type=event.event_type,
        source_event_id=event.source_event_id,
        identity=event.identity,
        occurred_at=event.occurred_at,
        context=event.context or {},
        raw=event.payload,
    )


def events_translate(*, event_ids: list[int]) -> list[int]:
    """Translate the events among ``event_ids`` that are still accepted and store their deliveries.

    The deliveries now due are hinted after commit, and their ids returned. Events locked by
    another worker are skipped: that worker translates them.
    """
    now = timezone.now()
    with transaction.atomic():
        events = list(
            Event.objects.select_for_update(skip_locked=True)
            .filter(pk__in=event_ids, status=Event.Status.ACCEPTED)
            .order_by("pk")
        )
        if not events:
            return []
        connectors = Connector.objects.in_bulk({event.connector_id for event in events})
        rules: dict[tuple[int, str], list[dict]] = {}
        outcomes: dict[tuple[str, str], list[int]] = defaultdict(list)
        stored: list[tuple[Event, list[Delivery]]] = []
        for event in events:
            connector = event.connector = connectors[event.connector_id]
            kind = kind_get(connector.kind)
            key = (connector.pk, event.direction)
            if key not in rules:
                rules[key] = rules_for(connector=connector, direction=event.direction, kind=kind)
            if event.payload is None:
                translation = Translation(failed="The payload was pruned before the event was translated")
            else:
                config = connector_config_cached(connector)
                translation = event_translate(
                    kind=kind, connector=connector, config=config, direction=event.direction,
                    incoming=_incoming(event), rules=rules[key],
                )
            event.status, event.error = event_status(translation)
            outcomes[(event.status, event.error)].append(event.pk)
            stored.append((event, deliveries_build(event=event, connector=connector, translation=translation, now=now)))
        for (status, error), ids in outcomes.items():
            Event.objects.filter(pk__in=ids).update(status=status, error=error, enqueued_at=None)
        deliveries = Delivery.objects.bulk_create([delivery for _event, built in stored for delivery in built])
        for event, built in stored:
            if hooks.on_event_stored_wanted(direction=event.direction, event_type=event.event_type):
                hooks.on_event_stored(event=event, deliveries=built)
        due = [delivery.pk for delivery in deliveries if delivery.status == Delivery.Status.PENDING]
        deliveries_enqueue_on_commit(due)
    return due
