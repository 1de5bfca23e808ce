"""Voucherify webhooks (project and distribution webhooks): signature and parsing.

The signature is checked over the raw bytes before anything is parsed (:func:`voucherify_signature_verify`).

Two shapes arrive (Voucherify docs ``api-reference/distribution-webhooks.mdx``, "Payload designer"):

- the **envelope** ``{id, project_id, created_at, type, data, source, event}`` (project webhooks
  always; distributions unless "Raw payload" is ticked), the event's objects in ``data``;
- the **raw payload** of a distribution: the objects at the root with no envelope, e.g. a
  "Customer entered segment" distribution's ``{customer, segment}`` (seed 004). It names neither
  its event nor its send-out, so the event type is the connector's setting ``voucherify_raw_event``
  and the id is a hash of the body: Voucherify's retry of the same send-out is the same body.

One webhook is one event:

``event_type``
    ``event.type`` (else the envelope ``type``, which distributions let users name freely), lower
    case, with ``EVENTS.`` and ``.MAIN`` removed and the ``customer.`` prefix of customer-activity
    names dropped where the project webhook has the same event without it, so both families meet:
    ``redemption.succeeded``, ``redemption.failed``, ``redemption.rollback.succeeded``,
    ``redemption.rollback.failed``, ``reward_redemptions.created``, ``reward_redemptions.completed``,
    ``customer.rewarded``, ``customer.rewarded.loyalty_points``, ``validation.succeeded``,
    ``validation.failed``, ``publication.succeeded``, ``publication.failed``,
    ``customer.segment.entered``, ``customer.segment.left``, …
``source_event_id``
    the envelope ``id`` (``whs_…``, the same on every redelivery); for a raw payload
    ``raw-`` and the first 40 hex digits of the SHA-256 of its canonical JSON.
``identity``
    the customer's ``source_id``, else its email, else its Voucherify id.

The event context:

======================  ===========================================================================
``event_type``          as above
``voucherify_type``     the envelope ``type`` as sent ("" for a raw payload)
``webhook_id``          envelope ``id`` ("" for a raw payload)
``voucherify_event_id`` ``event.id`` ("" when absent)
``created_at``          ``event.created_at``, else the envelope ``created_at`` ("" for a raw payload)
``project_id``          envelope ``project_id`` ("" when absent)
``customer_source_id``  ``data.customer.source_id`` ("" when there is no customer)
``customer_email``      ``data.customer.email`` ("")
``data``                every object of ``data`` (a raw payload: of the root) flattened: nested
                        objects become ``parent_child`` keys, lists of objects and nulls are left
                        out (``data.customer.address_city``, ``data.segment.name``, …)
``raw``                 the body
======================  ===========================================================================
"""

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from typing import Any

from connectors.kinds.base import ConnectorConfig, FieldError, IncomingEvent, PayloadInvalid, Unauthenticated
from connectors.kinds.segment_spec import segment_timestamp

SIGNATURE_HEADER = "x-voucherify-signature"
# Customer-activity names whose project-webhook twin has no "customer." prefix.
_UNPREFIXED = ("redemption.", "reward_redemptions.", "publication.")
DEFAULT_RAW_EVENT = "customer.segment.entered"
# A JSON string (kept, as group 1) or a run of JSON whitespace outside one (dropped).
_OUTSIDE_STRING_WHITESPACE = re.compile(rb'("[^"\\]*(?:\\.[^"\\]*)*")|[ \t\n\r]+', re.DOTALL)
# What the platform keeps of an id or identity, and of an event type (events.Event's columns).
MAX_ID_CHARS = 200
MAX_EVENT_TYPE_CHARS = 120


def voucherify_signature_verify(raw_body: bytes, headers: Mapping[str, str], config: ConnectorConfig) -> None:
    """Raise Unauthenticated unless ``x-voucherify-signature`` is the HMAC-SHA256 of the body.

    Voucherify signs the JSON payload in compact form (spec §2.5): the raw body is checked first,
    then the body with the whitespace outside its strings removed, as Voucherify's own reference
    code does. Neither parses the body, so an unsigned request costs two hashes and a scan, and
    its JSON is read only once it is authenticated. Fails closed when the connector has no
    webhook secret.
    """
    secret = config.secrets.get("voucherify_webhook_secret")
    if not secret:
        raise Unauthenticated(
            "This connector has no Voucherify webhook secret, so no webhook can be verified: enter it from "
            "Voucherify → Project Settings → Webhooks."
        )
    presented = headers.get(SIGNATURE_HEADER, "").strip().lower()
    if not presented:
        raise Unauthenticated(f"The {SIGNATURE_HEADER} header is missing.")
    candidates = [raw_body]
    compact = voucherify_compact(raw_body)
    if compact != raw_body:
        candidates.append(compact)
    for body in candidates:
        expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        if hmac.compare_digest(expected.encode(), presented.encode()):
            return
    raise Unauthenticated(
        f"The {SIGNATURE_HEADER} does not match the body signed with this connector's webhook secret."
    )


def voucherify_compact(raw_body: bytes) -> bytes:
    """The body without whitespace outside its strings (strings, escapes included, kept as sent)."""
    return _OUTSIDE_STRING_WHITESPACE.sub(rb"\1", raw_body)


def voucherify_event_type(name: str) -> str:
    normal = name.strip().lower()
    normal = normal.removeprefix("events.").removesuffix(".main")
    rest = normal.removeprefix("customer.")
    return rest if rest.startswith(_UNPREFIXED) else normal


def voucherify_flatten(value: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, item in value.items():
        name = f"{prefix}{key}"
        if isinstance(item, dict):
            flat.update(voucherify_flatten(item, f"{name}_"))
        elif isinstance(item, list):
            if all(not isinstance(element, dict | list) for element in item):
                flat[name] = item
        elif item is not None:
            flat[name] = item
    return flat


def _text_errors(holder: dict[str, Any], names: tuple[str, ...], prefix: str) -> list[FieldError]:
    """Present values of ``names`` that are not text, or longer than the platform keeps."""
    errors = []
    for name in names:
        value = holder.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            errors.append(FieldError(f"{prefix}{name}", "Must be a string."))
        elif len(value) > MAX_ID_CHARS:
            errors.append(FieldError(f"{prefix}{name}", f"At most {MAX_ID_CHARS} characters ({len(value)} sent)."))
    return errors


def _date_errors(holder: dict[str, Any], prefix: str) -> list[FieldError]:
    value = holder.get("created_at")
    if value is None or (isinstance(value, str) and segment_timestamp(value) is not None):
        return []
    return [FieldError(f"{prefix}created_at", "Must be an ISO-8601 date-time, e.g. 2024-03-01T12:00:00Z.")]


def _envelope_errors(payload: Any) -> list[FieldError]:
    if not isinstance(payload, dict):
        return [FieldError("", "Must be a Voucherify webhook envelope (a JSON object).")]
    errors = []
    if not (isinstance(payload.get("id"), str) and payload["id"]):
        errors.append(FieldError("id", "The webhook envelope needs its id."))
    elif len(payload["id"]) > MAX_ID_CHARS:
        errors.append(FieldError("id", f"At most {MAX_ID_CHARS} characters ({len(payload['id'])} sent)."))
    if not (isinstance(payload.get("type"), str) and payload["type"].strip()):
        errors.append(FieldError("type", "The webhook envelope needs its type."))
    errors += _date_errors(payload, "")
    data = payload.get("data")
    if not isinstance(data, dict):
        errors.append(
            FieldError(
                "data",
                "Must be an object: an envelope carries the event in data; a raw payload (\"Raw payload\" "
                "ticked in the distribution) needs the customer object at its root.",
            )
        )
    elif data.get("customer") is not None and not isinstance(data["customer"], dict):
        errors.append(FieldError("data.customer", "Must be an object."))
    elif isinstance(data.get("customer"), dict):
        errors += _text_errors(data["customer"], ("source_id", "email", "id"), "data.customer.")
    event = payload.get("event")
    if event is not None and not isinstance(event, dict):
        errors.append(FieldError("event", "Must be an object."))
    elif isinstance(event, dict):
        if event.get("type") is not None and not isinstance(event["type"], str):
            errors.append(FieldError("event.type", "Must be a string."))
        errors += _text_errors(event, ("id",), "event.") + _date_errors(event, "event.")
    if not errors:
        name, path = (event["type"], "event.type") if event and event.get("type") else (payload["type"], "type")
        if len(voucherify_event_type(name)) > MAX_EVENT_TYPE_CHARS:
            errors.append(FieldError(path, f"At most {MAX_EVENT_TYPE_CHARS} characters ({len(name)} sent)."))
    return errors


def _is_raw_payload(payload: Any) -> bool:
    """A distribution's raw payload: no envelope ``data``, the customer object at the root."""
    return isinstance(payload, dict) and "data" not in payload and isinstance(payload.get("customer"), dict)


def _raw_key(payload: dict[str, Any]) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "raw-" + hashlib.sha256(canonical.encode()).hexdigest()[:40]


def _flat_objects(data: dict[str, Any]) -> dict[str, Any]:
    return {
        key: voucherify_flatten(value) if isinstance(value, dict) else value
        for key, value in data.items()
        if value is not None and not isinstance(value, list)
    }


def _event(
    payload: dict[str, Any], data: dict[str, Any], context: dict[str, Any], source_event_id: str
) -> IncomingEvent:
    customer = data["customer"] if isinstance(data.get("customer"), dict) else {}
    context = {
        **context,
        "customer_source_id": str(customer.get("source_id") or ""),
        "customer_email": str(customer.get("email") or ""),
        "data": _flat_objects(data),
        "raw": payload,
    }
    return IncomingEvent(
        event_type=context["event_type"],
        source_event_id=source_event_id,
        identity=context["customer_source_id"] or context["customer_email"] or str(customer.get("id") or ""),
        occurred_at=segment_timestamp(context["created_at"]),
        context=context,
        raw=payload,
    )


def voucherify_webhook_parse(payload: Any, *, config: ConnectorConfig) -> list[IncomingEvent]:
    if _is_raw_payload(payload):
        errors = _text_errors(payload["customer"], ("source_id", "email", "id"), "customer.")
        if errors:
            raise PayloadInvalid(errors)
        raw_event = config.settings.get("voucherify_raw_event") or DEFAULT_RAW_EVENT
        context = {
            "event_type": voucherify_event_type(str(raw_event)),
            "voucherify_type": "",
            "webhook_id": "",
            "voucherify_event_id": "",
            "created_at": "",
            "project_id": "",
        }
        return [_event(payload, payload, context, _raw_key(payload))]
    errors = _envelope_errors(payload)
    if errors:
        raise PayloadInvalid(errors)
    event = payload.get("event") or {}
    name = event["type"] if isinstance(event.get("type"), str) and event["type"] else payload["type"]
    created_at = event.get("created_at") or payload.get("created_at") or ""
    context = {
        "event_type": voucherify_event_type(name),
        "voucherify_type": payload["type"],
        "webhook_id": payload["id"],
        "voucherify_event_id": str(event.get("id") or ""),
        "created_at": created_at if isinstance(created_at, str) else "",
        "project_id": str(payload.get("project_id") or ""),
    }
    return [_event(payload, payload["data"], context, payload["id"])]
