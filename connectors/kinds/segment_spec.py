"""Segment Spec messages as they reach an inbound (CDP → partner) connector.

The body is one message or ``{"batch": [...]}``; each message becomes one :class:`IncomingEvent`.
A batch's top-level ``context`` and ``integrations`` apply to every message in it, as in Segment's
HTTP API: each message gets their keys, its own keys winning (spec/segment-air.md §2.3).

``event_type``
    ``track:<event>`` for track calls, otherwise the message type: ``identify``, ``page``,
    ``screen``, ``group`` or ``alias``.
``source_event_id``
    the ``messageId`` ("" when absent: the pipeline then uses a hash of the message).
``identity``
    ``userId``, else the email found by :func:`segment_email`, else ``anonymousId``.
``occurred_at``
    ``timestamp``, else ``originalTimestamp`` (UTC assumed when the value has no offset).

Refused, naming the field: a message that is not an object; ``userId``, ``anonymousId``,
``messageId``, ``name`` or ``event`` that is not text; ``properties``, ``traits`` or ``context``
that is not an object; a ``timestamp`` that is not an ISO-8601 date-time; ids and identities
longer than the platform keeps (``MAX_ID_CHARS``; a track event name, ``MAX_EVENT_CHARS``); a
batch of more than ``MAX_BATCH_MESSAGES`` messages. Nothing is cut short: two ids cut alike would
be taken for one.

In a batch, a bad message is refused alone: :func:`segment_events_parse` raises
:class:`~connectors.kinds.base.PartlyInvalid` carrying the usable messages and each refused one
(its index, the message, why), and the pipeline receives the usable ones. Only what concerns the
whole batch (no ``batch`` list, too many messages, a shared ``context``/``integrations`` that is not
an object) or a batch with no usable message refuses the body.

The event context (flat; every key is always present):

=================  ==================================================================================
``type``           message type
``event``          track event name; page/screen ``name``; "" otherwise
``name``           page/screen ``name`` ("" when absent)
``user_id``        ``userId`` ("" when absent)
``anonymous_id``   ``anonymousId`` ("" when absent)
``message_id``     ``messageId`` ("" when absent)
``email``          root ``email``, else ``properties.email``, else ``context.traits.email``, else
                   ``traits.email`` ("" when none)
``group_id``       group ``groupId`` ("" otherwise)
``timestamp``      the occurred-at time as ISO-8601 UTC ("" when the message has none)
``properties``     track/page/screen ``properties`` ({} otherwise)
``traits``         identify/group ``traits`` ({} otherwise)
``context_traits`` ``context.traits`` ({} when absent)
``ip``             ``context.ip`` ("" when absent)
``user_agent``     ``context.userAgent`` ("" when absent)
``audiences``      Engage audience memberships carried by the message, key → true/false (see
                   :func:`segment_audiences`)
``raw``            the message itself
=================  ==================================================================================
"""

import hashlib
import json
import re
from datetime import UTC, datetime
from typing import Any, cast

from connectors.kinds.base import (
    ConnectorConfig,
    Direction,
    FieldError,
    IncomingEvent,
    PartlyInvalid,
    PayloadInvalid,
    RefusedPart,
)

MESSAGE_TYPES = ("track", "identify", "page", "screen", "group", "alias")
# What the platform keeps of a sender's id or identity, and of an event type (the columns of
# events.Event: source_event_id and identity, event_type).
MAX_ID_CHARS = 200
MAX_EVENT_TYPE_CHARS = 120
MAX_EVENT_CHARS = MAX_EVENT_TYPE_CHARS - len("track:")
# Segment's HTTP API takes at most 500 KB per batch (checked on the body) in at most this many calls.
MAX_BATCH_MESSAGES = 2500
_IDS = ("userId", "anonymousId", "messageId")
_SNAKE_CASE = re.compile(r"^[a-z0-9]+(?:_[a-z0-9]+)*$")
_AUDIENCE_CLASSES = ("audience", "journey_step")
_BATCH_SHARED_KEYS = ("context", "integrations")


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def segment_timestamp(value: Any) -> datetime | None:
    """An ISO-8601 string as an aware UTC datetime; None when absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):  # OverflowError: a zone that moves year 1 or 9999 off the calendar
        return None


def segment_email(message: dict[str, Any]) -> str:
    """The message's email: at its root, then in ``properties``, ``context.traits``, ``traits``."""
    for holder in (
        message,
        _object(message.get("properties")),
        _object(_object(message.get("context")).get("traits")),
        _object(message.get("traits")),
    ):
        email = holder.get("email")
        if isinstance(email, str) and email.strip():
            return email.strip()
    return ""


def segment_audiences(message: dict[str, Any]) -> dict[str, bool]:
    """Engage audience memberships the message carries (spec/segment-air.md §1.7).

    An identify from an Engage audience sync carries ``traits.<audience_key>`` = true/false; when
    ``context.personas`` names the computation, only that key is read; without it, every
    snake_cased trait with a true/false value counts. A track ``Audience Entered``/``Audience
    Exited`` carries ``properties.audience_key`` and ``properties.<key>``.
    """
    kind = message.get("type")
    if kind == "identify":
        traits = _object(message.get("traits"))
        personas = _object(_object(message.get("context")).get("personas"))
        key = _text(personas.get("computation_key"))
        if personas.get("computation_class") in _AUDIENCE_CLASSES and key:
            return {key: traits[key]} if isinstance(traits.get(key), bool) else {}
        return {k: v for k, v in traits.items() if isinstance(v, bool) and _SNAKE_CASE.match(k)}
    if kind == "track" and message.get("event") in ("Audience Entered", "Audience Exited"):
        properties = _object(message.get("properties"))
        key = _text(properties.get("audience_key"))
        if key and isinstance(properties.get(key), bool):
            return {key: properties[key]}
    return {}


def _message_errors(message: Any, prefix: str) -> list[FieldError]:
    def at(name: str) -> str:
        return f"{prefix}.{name}" if prefix else name

    if not isinstance(message, dict):
        return [FieldError(prefix, "Must be a Segment message (a JSON object).")]
    errors = []
    kind = message.get("type")
    if kind not in MESSAGE_TYPES:
        errors.append(FieldError(at("type"), f"Must be one of: {', '.join(MESSAGE_TYPES)}."))
    if kind == "track" and not (isinstance(message.get("event"), str) and message["event"].strip()):
        errors.append(FieldError(at("event"), "A track call needs an event name."))
    elif kind == "track" and len(message["event"]) > MAX_EVENT_CHARS:
        errors.append(FieldError(at("event"), f"At most {MAX_EVENT_CHARS} characters ({len(message['event'])} sent)."))
    if kind == "group" and not (isinstance(message.get("groupId"), str | int) and str(message["groupId"])):
        errors.append(FieldError(at("groupId"), "A group call needs a groupId."))
    if not _text(message.get("userId")) and not _text(message.get("anonymousId")):
        errors.append(FieldError(at("userId"), "Either userId or anonymousId is required (non-empty text)."))
    for name in ("userId", "anonymousId", "messageId", "name"):
        if message.get(name) is not None and not isinstance(message[name], str):
            errors.append(FieldError(at(name), "Must be a string."))
        elif name in _IDS and len(message.get(name) or "") > MAX_ID_CHARS:
            errors.append(FieldError(at(name), f"At most {MAX_ID_CHARS} characters ({len(message[name])} sent)."))
    for name in ("properties", "traits", "context"):
        if message.get(name) is not None and not isinstance(message[name], dict):
            errors.append(FieldError(at(name), "Must be a JSON object."))
    for name in ("timestamp", "originalTimestamp"):
        if message.get(name) is not None and segment_timestamp(message[name]) is None:
            errors.append(FieldError(at(name), "Must be an ISO-8601 date-time, e.g. 2024-03-01T12:00:00Z."))
    return errors


def _batch_shared(payload: dict[str, Any]) -> tuple[dict[str, dict[str, Any]], list[FieldError]]:
    shared, errors = {}, []
    for key in _BATCH_SHARED_KEYS:
        value = payload.get(key)
        if isinstance(value, dict):
            shared[key] = value
        elif value is not None:
            errors.append(FieldError(key, "Must be a JSON object (it applies to every message of the batch)."))
    return shared, errors


def _with_shared(message: Any, shared: dict[str, dict[str, Any]]) -> Any:
    """The message with the batch's shared objects under its own keys; a non-object is left to validation."""
    if not shared or not isinstance(message, dict):
        return message
    merged = dict(message)
    for key, value in shared.items():
        own = message.get(key)
        if own is None:
            merged[key] = value
        elif isinstance(own, dict):
            merged[key] = {**value, **own}
    return merged


def _parts(payload: Any) -> list[tuple[int, Any, list[FieldError]]]:
    """Each message of the body with its index and what is wrong with it. Raises PayloadInvalid
    for what is wrong with the body as a whole (no batch list, too many messages, a shared object
    that is not one)."""
    if not (isinstance(payload, dict) and "batch" in payload):
        return [(0, payload, _message_errors(payload, ""))]
    batch = payload["batch"]
    if not isinstance(batch, list) or not batch:
        raise PayloadInvalid([FieldError("batch", "Must be a non-empty list of Segment messages.")])
    if len(batch) > MAX_BATCH_MESSAGES:
        raise PayloadInvalid(
            [FieldError("batch", f"At most {MAX_BATCH_MESSAGES} messages in a batch ({len(batch)} sent).")]
        )
    shared, errors = _batch_shared(payload)
    parts = [
        (index, merged, _message_errors(merged, f"batch[{index}]"))
        for index, merged in enumerate(_with_shared(message, shared) for message in batch)
    ]
    if errors:
        raise PayloadInvalid(errors + [error for _, _, message_errors in parts for error in message_errors])
    return parts


def segment_messages_parse(payload: Any) -> list[dict[str, Any]]:
    """The messages of a body (one message or a batch); PayloadInvalid names every bad field."""
    parts = _parts(payload)
    errors = [error for _, _, message_errors in parts for error in message_errors]
    if errors:
        raise PayloadInvalid(errors)
    return [message for _, message, _ in parts]


def _refused_labels(message: Any) -> tuple[str, str]:
    """The event type and identity support can find a refused message by: what can be read of
    them, cut to the columns' sizes (labels, not ids: nothing is matched on them)."""
    if not isinstance(message, dict):
        return "", ""
    kind, event = _text(message.get("type")), _text(message.get("event"))
    event_type = f"track:{event}" if kind == "track" and event else kind
    identity = _text(message.get("userId")) or segment_email(message) or _text(message.get("anonymousId"))
    return event_type[:MAX_EVENT_TYPE_CHARS], identity[:MAX_ID_CHARS]


def segment_event_type(message: dict[str, Any]) -> str:
    if message["type"] == "track":
        return f"track:{message['event']}"
    return cast(str, message["type"])  # one of MESSAGE_TYPES: parsing refused any other


def segment_context(message: dict[str, Any]) -> dict[str, Any]:
    kind = message["type"]
    context = _object(message.get("context"))
    occurred_at = segment_timestamp(message.get("timestamp")) or segment_timestamp(
        message.get("originalTimestamp")
    )
    name = _text(message.get("name"))
    return {
        "type": kind,
        "event": message["event"] if kind == "track" else name,
        "name": name,
        "user_id": _text(message.get("userId")),
        "anonymous_id": _text(message.get("anonymousId")),
        "message_id": _text(message.get("messageId")),
        "email": segment_email(message),
        "group_id": str(message["groupId"]) if kind == "group" else "",
        "timestamp": occurred_at.isoformat().replace("+00:00", "Z") if occurred_at else "",
        "properties": _object(message.get("properties")) if kind in ("track", "page", "screen") else {},
        "traits": _object(message.get("traits")) if kind in ("identify", "group") else {},
        "context_traits": _object(context.get("traits")),
        "ip": _text(context.get("ip")),
        "user_agent": _text(context.get("userAgent")),
        "audiences": segment_audiences(message),
        "raw": message,
    }


def _incoming(message: dict[str, Any]) -> IncomingEvent:
    context = segment_context(message)
    return IncomingEvent(
        event_type=segment_event_type(message),
        source_event_id=context["message_id"],
        identity=context["user_id"] or context["email"] or context["anonymous_id"],
        occurred_at=segment_timestamp(context["timestamp"]),
        context=context,
        raw=message,
    )


def segment_events_parse(payload: Any) -> list[IncomingEvent]:
    """One event per message. A batch whose messages are not all usable raises PartlyInvalid with
    the usable ones and each refused one, so one bad message does not sink the others; a body with
    nothing usable raises PayloadInvalid naming every bad field."""
    parts = _parts(payload)
    refused = [
        RefusedPart(index, message, tuple(errors), *_refused_labels(message))
        for index, message, errors in parts
        if errors
    ]
    if not refused:
        return [_incoming(message) for _, message, _ in parts]
    if len(refused) == len(parts):
        raise PayloadInvalid([error for part in refused for error in part.errors])
    raise PartlyInvalid(
        accepted=[(index, _incoming(message)) for index, message, errors in parts if not errors], refused=refused
    )


def segment_parse(direction: Direction, payload: Any, config: ConnectorConfig) -> list[IncomingEvent]:
    """``Kind.parse`` of a kind that receives Segment Spec messages and reads nothing else of them
    (Segment → Everflow, Segment → Perkville): it needs no parse module of its own."""
    return segment_events_parse(payload)


def segment_message_key(event: IncomingEvent) -> str:
    """A stable key for one message: its messageId, else a hash of the message itself."""
    if event.source_event_id:
        return event.source_event_id
    canonical = json.dumps(event.context.get("raw", event.raw), sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()[:40]
