"""Sending a test event from the admin: one of the kind's samples, or staff's edit of it, through
the same receive service as a webhook, so it is stored, translated, delivered and logged exactly
like a real event (a paused connector holds it, a disabled one refuses it)."""

import json
import uuid
from typing import Any

from connectors.kinds.base import Direction, PayloadInvalid
from connectors.kinds.registry import kind_get
from connectors.models import Connector
from connectors.services import connector_config
from events.intake.receive import events_receive
from events.intake.store import Received
from events.intake.webhook_body import BodyRefused, webhook_body_parse


def samples_for(connector: Connector, direction: str) -> dict[str, Any]:
    """The kind's sample payloads for ``direction``, by name; none for a direction that is not one."""
    by_direction = {key.value: samples for key, samples in kind_get(connector.kind).samples.items()}
    return dict(by_direction.get(direction, {}))


def _fresh_id(old: str) -> str:
    try:
        uuid.UUID(old)
    except ValueError:
        return f"test-{uuid.uuid4()}"
    return str(uuid.uuid4())


def sample_body(*, connector: Connector, direction: str, sample: str) -> str:
    """The sample as indented JSON, with its sender's ids renewed (by the kind, or every source id
    the kind parses from it replaced), so that sending it again is a new event, not a duplicate."""
    payload = samples_for(connector, direction)[sample]
    kind = kind_get(connector.kind)
    if kind.sample_renew is not None:
        return json.dumps(kind.sample_renew(Direction(direction), payload), indent=2, ensure_ascii=False)
    text = json.dumps(payload, indent=2, ensure_ascii=False)
    try:
        incoming = kind.parse(Direction(direction), payload, connector_config(connector))
    except PayloadInvalid:
        return text  # the connector's settings reject the sample: shown as it is, sending says why
    for old in {event.source_event_id for event in incoming if event.source_event_id}:
        text = text.replace(json.dumps(old, ensure_ascii=False), json.dumps(_fresh_id(old)))
    return text


def sample_send(*, connector: Connector, direction: str, body: str) -> list[Received]:
    """Receive ``body`` for ``connector`` as its webhook would: read by the webhook's parser, so a
    body a webhook could not send is refused here too, then the one intake service. Raises
    PayloadInvalid (nothing stored) for a body that is not the platform's JSON or that the kind
    refuses, or when the connector is disabled."""
    if connector.state == Connector.State.DISABLED:
        raise PayloadInvalid([], "This connector is disabled: enable it to send events")
    try:
        payload, raw_body = webhook_body_parse(body=body.encode())
    except BodyRefused as exc:
        raise PayloadInvalid(exc.errors, exc.message) from exc
    return events_receive(connector=connector, direction=direction, payload=payload, body=raw_body)
