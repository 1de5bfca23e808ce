"""Segment → Voucherify: Segment Spec messages become Voucherify public-API requests (spec §5.1).

- identify → ``POST {voucherify_api_url}/v1/customers`` (an upsert on ``source_id`` = userId):
  ``name`` (``traits.name``, else first + last name), ``description``, ``email``, ``phone``,
  ``birthdate`` (``traits.birthdate`` or ``birthday``, as YYYY-MM-DD), ``address`` (``street`` →
  ``line_1``, ``postalCode``/``postal_code`` → ``postal_code``, ``city``, ``state``, ``country``,
  ``line_2``), ``metadata`` (``traits.metadata``, filtered by the connector's metadata schema).
  Empty and null traits are not sent, so they never clear a value already in Voucherify.
- track → ``POST {voucherify_api_url}/v1/events``: ``event`` = the event name; page and screen calls
  are "Viewed {name} Page" / "Viewed {name} Screen"; ``customer`` = {``source_id``: userId,
  ``email``: ``properties.email`` else ``context.traits.email``}; ``referral``, ``loyalty`` and
  ``metadata`` from the same-named properties (event metadata, checked by Voucherify's event schema).
- group → a customer upsert whose metadata holds ``group_id`` and each group trait as
  ``group_<trait>``, filtered by the metadata schema (Voucherify keeps group data in customer
  metadata; only keys defined there are sent).

Voucherify customers are keyed by ``source_id``, so a call with only an anonymousId cannot be sent.
"""

from datetime import date, datetime
from typing import Any

from connectors.kinds.base import ConnectorConfig, IncomingEvent, OutboundRequest, Translation
from connectors.kinds.segment_spec import segment_message_key
from connectors.kinds.voucherify_segment.metadata import voucherify_metadata_filter

ADDRESS_TRAITS = (
    ("line_1", ("street", "line_1")),
    ("line_2", ("line_2",)),
    ("city", ("city",)),
    ("state", ("state",)),
    ("postal_code", ("postal_code", "postalCode")),
    ("country", ("country",)),
)


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _first_text(holder: dict, *keys: str) -> str:
    for key in keys:
        text = _text(holder.get(key))
        if text:
            return text
    return ""


def _birthdate(value: Any) -> str:
    text = _text(value)
    if not text:
        return ""
    try:
        return (
            date.fromisoformat(text[:10]).isoformat()
            if len(text) == 10
            else datetime.fromisoformat(text).date().isoformat()
        )
    except ValueError:
        return ""


def _address(traits: dict) -> dict[str, str]:
    address = traits.get("address")
    if not isinstance(address, dict):
        return {}
    result = {}
    for target, sources in ADDRESS_TRAITS:
        text = _first_text(address, *sources)
        if text:
            result[target] = text
    return result


def _api_post(
    config: ConnectorConfig, path: str, body: dict, *, event: IncomingEvent, what: str, notes: str = ""
) -> Translation:
    """One POST to the Voucherify API, keyed by the Segment message so a retry is the same request."""
    return Translation(
        requests=[
            OutboundRequest(
                destination="voucherify",
                method="POST",
                url=f"{str(config.settings['voucherify_api_url']).rstrip('/')}{path}",
                body=body,
                idempotency_key=f"voucherify:{what}:{segment_message_key(event)}",
                notes=notes,
            )
        ]
    )


def _no_source_id(kind: str) -> Translation:
    return Translation(
        failed=f"This {kind} call has no userId: Voucherify customers are keyed by source_id (the Segment "
        "userId), and an anonymousId alone cannot be sent."
    )


def _notes(dropped: list[str]) -> str:
    return f"Metadata not sent: {'; '.join(dropped)}." if dropped else ""


def voucherify_customer_translation(event: IncomingEvent, config: ConnectorConfig) -> Translation:
    context = event.context
    if not context["user_id"]:
        return _no_source_id("identify")
    traits = context["traits"]
    body: dict[str, Any] = {"source_id": context["user_id"]}
    name = _text(traits.get("name")) or " ".join(
        part
        for part in (
            _first_text(traits, "firstName", "first_name"),
            _first_text(traits, "lastName", "last_name"),
        )
        if part
    )
    for key, value in (
        ("name", name),
        ("description", _text(traits.get("description"))),
        ("email", _text(traits.get("email"))),
        ("phone", _text(traits.get("phone"))),
        ("birthdate", _birthdate(traits.get("birthdate") or traits.get("birthday"))),
    ):
        if value:
            body[key] = value
    address = _address(traits)
    if address:
        body["address"] = address
    dropped: list[str] = []
    metadata = traits.get("metadata")
    if isinstance(metadata, dict) and metadata:
        kept, dropped = voucherify_metadata_filter(
            metadata, schema=config.settings.get("metadata_schema") or {}
        )
        if kept:
            body["metadata"] = kept
    elif metadata is not None and not isinstance(metadata, dict):
        dropped = ["traits.metadata (not an object)"]
    return _api_post(config, "/v1/customers", body, event=event, what="customer", notes=_notes(dropped))


def _event_name(context: dict) -> str:
    if context["type"] == "track":
        return context["event"]
    noun = "Page" if context["type"] == "page" else "Screen"
    return f"Viewed {context['name']} {noun}" if context["name"] else f"Viewed {noun}"


def _sub_object(properties: dict, key: str, fields: tuple[str, ...]) -> dict[str, str]:
    holder = properties.get(key)
    if not isinstance(holder, dict):
        return {}
    return {field: holder[field] for field in fields if isinstance(holder.get(field), str) and holder[field]}


def voucherify_custom_event_translation(event: IncomingEvent, config: ConnectorConfig) -> Translation:
    context = event.context
    if not context["user_id"]:
        return _no_source_id(context["type"])
    properties = context["properties"]
    customer = {"source_id": context["user_id"]}
    email = _text(properties.get("email")) or _text(context["context_traits"].get("email"))
    if email:
        customer["email"] = email
    body: dict[str, Any] = {"event": _event_name(context), "customer": customer}
    referral = _sub_object(properties, "referral", ("code", "referrer_id"))
    loyalty = _sub_object(properties, "loyalty", ("code",))
    if referral:
        body["referral"] = referral
    if loyalty:
        body["loyalty"] = loyalty
    if isinstance(properties.get("metadata"), dict) and properties["metadata"]:
        body["metadata"] = properties["metadata"]
    return _api_post(config, "/v1/events", body, event=event, what="event")


def voucherify_group_translation(event: IncomingEvent, config: ConnectorConfig) -> Translation:
    context = event.context
    if not context["user_id"]:
        return _no_source_id("group")
    candidate = {"group_id": context["group_id"]}
    candidate.update({f"group_{key}": value for key, value in context["traits"].items()})
    kept, dropped = voucherify_metadata_filter(candidate, schema=config.settings.get("metadata_schema") or {})
    if not kept:
        return Translation(
            ignored=f"None of the group's keys ({', '.join(candidate)}) are defined in this connector's "
            "customer metadata schema, so there is nothing Voucherify would store."
        )
    body = {"source_id": context["user_id"], "metadata": kept}
    return _api_post(config, "/v1/customers", body, event=event, what="group", notes=_notes(dropped))


def voucherify_inbound_build(event: IncomingEvent, config: ConnectorConfig) -> Translation:
    kind = event.context["type"]
    if kind == "identify":
        return voucherify_customer_translation(event, config)
    if kind in ("track", "page", "screen"):
        return voucherify_custom_event_translation(event, config)
    if kind == "group":
        return voucherify_group_translation(event, config)
    return Translation(ignored=f"Voucherify has no use for a Segment {kind} call.")
