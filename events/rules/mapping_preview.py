"""Previewing mapping rules: what one stored event or sample would send with the rules in force
and with the edited rules, and what differs between the two, before anything is saved."""

import uuid
from dataclasses import dataclass, field
from typing import Any

from connectors.kinds.base import ConnectorConfig, Direction, IncomingEvent, Kind, PayloadInvalid
from connectors.models import Connector
from connectors.services import connector_config
from events.models import Event
from events.rule_models import MappingRuleSet
from events.rules.mapping import MappingError, messages_render
from events.rules.mapping_diff import MessagesDiff, messages_diff, segment_messages
from events.rules.mapping_rules import (
    MappingRulesInvalid,
    RuleProblem,
    mapping_kind_get,
    mapping_rules_applying,
    mapping_rules_defaults,
    mapping_rules_validate,
)

PREVIEW_EVENTS = 50


@dataclass(frozen=True)
class PreviewSide:
    requests: list[dict[str, Any]] = field(default_factory=list)  # the bodies that would be sent
    outcome: str = ""  # why nothing would be sent, or the error


@dataclass(frozen=True)
class Preview:
    source: str
    event_type: str
    context: dict[str, Any]
    current: PreviewSide
    edited: PreviewSide | None
    problems: list[RuleProblem]
    diff: MessagesDiff | None = None  # the edited side's messages against the current side's


def mapping_preview_event_get(*, connector: Connector, direction: str, public_id: str) -> Event:
    """One of the connector's stored events by the id support sees (its public id); raises
    MappingRulesInvalid naming the ``event`` when the text is not one."""
    try:
        wanted = uuid.UUID(public_id.strip())
    except ValueError:
        raise MappingRulesInvalid(
            [RuleProblem(None, "", "event", f"{public_id!r} is not an event id (a UUID).")]
        ) from None
    event = Event.objects.filter(public_id=wanted, connector=connector, direction=direction).first()
    if event is None:
        raise MappingRulesInvalid(
            [RuleProblem(None, "", "event", f"No stored event {wanted} of this connector in this direction.")]
        )
    return event


def mapping_preview_sources(*, connector: Connector, direction: str) -> tuple[list[Event], list[str]]:
    """What a preview can run on: the connector's latest stored events and its kind's samples."""
    kind = mapping_kind_get(connector=connector, direction=direction)
    events = list(
        Event.objects.filter(connector=connector, direction=direction)
        .order_by("-received_at")
        .only("id", "public_id", "event_type", "source_event_id", "identity", "received_at")[:PREVIEW_EVENTS]
    )
    return events, list(kind.samples.get(Direction(direction), {}))


def _preview_side(
    *, kind: Kind, direction: str, rules: list[dict[str, Any]], incoming: IncomingEvent, config: ConnectorConfig
) -> PreviewSide:
    try:
        messages = messages_render(rules, event_type=incoming.event_type, context=incoming.context)
    except MappingError as error:
        return PreviewSide(outcome=str(error))
    translation = kind.build(Direction(direction), incoming, messages, config)
    if translation.failed or translation.ignored:
        return PreviewSide(outcome=translation.failed or translation.ignored)
    return PreviewSide(requests=[request.body for request in translation.requests])


def _preview_incoming(
    *,
    kind: Kind,
    connector: Connector,
    direction: str,
    event: Event | None,
    sample: str | None,
    config: ConnectorConfig,
) -> tuple[str, IncomingEvent]:
    if event is not None:
        if event.connector_id != connector.pk or event.direction != direction:
            raise MappingRulesInvalid(
                [RuleProblem(None, "", "event", "That event is not one of this connector's.")]
            )
        return f"Stored event {event.event_type} {event.source_event_id}", event.incoming()
    samples = kind.samples.get(Direction(direction), {})
    if sample is None or sample not in samples:
        raise MappingRulesInvalid([RuleProblem(None, "", "sample", f"No sample named {sample!r}.")])
    try:
        [incoming, *_] = kind.parse(Direction(direction), samples[sample], config)
    except PayloadInvalid as error:
        details = "; ".join(f"{e.path}: {e.message}" for e in error.errors)
        raise MappingRulesInvalid(
            [RuleProblem(None, "", "sample", f"This connector's settings cannot read it: {details}")]
        ) from None
    return f"Sample {sample}", incoming


def mapping_rules_preview(
    *,
    connector: Connector,
    direction: str,
    edited_rules: list[Any] | None,
    event: Event | None = None,
    sample: str | None = None,
) -> Preview:
    """What one event sends with the rules in force and with the edited rules, side by side.

    ``edited`` and ``diff`` are ``None`` when no edited rules were given or they do not validate
    (``problems`` then says why). Raises MappingRulesInvalid when the event or sample cannot be used.
    """
    kind = mapping_kind_get(connector=connector, direction=direction)
    config = connector_config(connector)
    source, incoming = _preview_incoming(
        kind=kind, connector=connector, direction=direction, event=event, sample=sample, config=config
    )
    rule_set = MappingRuleSet.objects.filter(connector=connector, direction=direction).first()
    current_rules = (
        mapping_rules_applying(rule_set=rule_set)
        if rule_set
        else mapping_rules_defaults(connector=connector, direction=direction)
    )
    current = _preview_side(
        kind=kind, direction=direction, rules=current_rules, incoming=incoming, config=config
    )
    problems: list[RuleProblem] = []
    edited = None
    if edited_rules is not None:
        problems = mapping_rules_validate(connector=connector, direction=direction, rules=edited_rules)
        if not problems:
            edited = _preview_side(
                kind=kind, direction=direction, rules=edited_rules, incoming=incoming, config=config
            )
    return Preview(
        source=source,
        event_type=incoming.event_type,
        context=incoming.context,
        current=current,
        edited=edited,
        problems=problems,
        diff=None
        if edited is None
        else messages_diff(
            before=segment_messages(current.requests), after=segment_messages(edited.requests)
        ),
    )
