"""Segment → Voucherify through Voucherify's Segment integration endpoints.

Voucherify hosts the endpoints its Segment destination calls: ``POST {integration URL}/segmentio/
{customer|event|group}-processing`` (segmentio/action-destinations
``destinations/voucherify/url-provider.ts`` and each action's ``perform``). Data sent there is
metered as integration webhook calls (seed 001; Voucherify docs ``integrations/segment.mdx``, "Data
sent from Segment to Voucherify uses webhook limits"), not against the public API's per-minute
quota that the shop's checkout shares, which is why this connector does not call ``/v1/customers``
or ``/v1/events``. Each body is the destination action's payload, field for field
(``upsertCustomer``, ``addCustomEvent``, ``assignCustomerToGroup`` ``index.ts``):

- identify → ``customer-processing``: ``source_id`` (userId), ``name``, ``first_name``,
  ``last_name``, ``description``, ``email``, ``phone``, ``birthdate``, ``address`` {``city``,
  ``state``, ``postal_code``, ``street``, ``country``}, ``metadata``, ``type``. A trait present
  and ``null`` is sent as ``null``, which clears the value in Voucherify (the destination declares
  these fields ``allowNull``); a trait absent or empty is not sent and leaves the value as it is.
  Metadata goes through the project's customer metadata schema (:mod:`.metadata`).
- track, page, screen → ``event-processing``: ``customer`` {``source_id``, ``email``
  (``properties.email`` else ``context.traits.email``)}, ``referral`` {``code``, ``referrer_id``},
  ``loyalty`` {``code``}, ``metadata`` (``properties.metadata``: event metadata, checked by
  Voucherify's event schema), ``event`` (page and screen: "Viewed {name} Page/Screen", as the
  destination's presets name them), ``type``.
- group → ``group-processing``: ``customer`` {``source_id``, ``email``}, ``group_id``, ``traits``,
  ``type``. Voucherify's integration writes the group's traits into the customer's metadata
  (the destination's field description); how it names them is not public, so the traits are sent
  as Segment's destination sends them and Voucherify keeps the ones its schema defines.

Voucherify customers are keyed by ``source_id``, so a call with only an anonymousId cannot be sent
(the released destination has no anonymousId fallback either).
"""

from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from connectors.kinds.base import ConnectorConfig, IncomingEvent, OutboundRequest, Translation
from connectors.kinds.segment_spec import segment_message_key
from connectors.kinds.voucherify_segment.metadata import voucherify_metadata_filter, voucherify_schema_effective

DEFAULT_API_URL = "https://api.voucherify.io"
# (field sent, trait names read in order): Segment Spec's reserved traits are camelCase, the
# destination's default mappings snake_case; both are read.
TEXT_TRAITS = (
    ("name", ("name",)),
    ("first_name", ("firstName", "first_name")),
    ("last_name", ("lastName", "last_name")),
    ("description", ("description",)),
    ("email", ("email",)),
    ("phone", ("phone",)),
)
ADDRESS_TRAITS = (
    ("city", ("city",)),
    ("state", ("state",)),
    ("postal_code", ("postalCode", "postal_code")),
    ("street", ("street",)),
    ("country", ("country",)),
)
_ABSENT = object()


def voucherify_integration_url(settings: dict[str, Any]) -> str:
    """The Custom Voucherify URL: the override, else the API endpoint with its ``api`` label
    replaced by ``segmentio`` (``https://us1.api.voucherify.io`` → ``https://us1.segmentio.
    voucherify.io``, Voucherify docs ``integrations/segment.mdx`` step 4). A host without an
    ``api`` label (a dedicated URL, the sandbox) is used as it is."""
    override = settings.get("voucherify_segment_url")
    if override:
        return str(override).rstrip("/")
    api = urlsplit(str(settings.get("voucherify_api_url") or DEFAULT_API_URL).rstrip("/"))
    labels = (api.hostname or "").split(".")
    if "api" not in labels:
        return urlunsplit(api)
    labels[labels.index("api")] = "segmentio"
    netloc = ".".join(labels) + (f":{api.port}" if api.port else "")
    return urlunsplit(api._replace(netloc=netloc))


def _first_present(holder: dict[str, Any], keys: tuple[str, ...]) -> tuple[str, Any]:
    """(the trait's name, its value) for the first of ``keys`` present, else ("", _ABSENT)."""
    for key in keys:
        if key in holder:
            return key, holder[key]
    return "", _ABSENT


def _text_field(holder: dict[str, Any], keys: tuple[str, ...], where: str, notes: list[str]) -> Any:
    """The value to send: text, ``None`` to clear, or _ABSENT (not sent, noted when unusable)."""
    key, value = _first_present(holder, keys)
    if value is None or value is _ABSENT:
        return value
    if not isinstance(value, str):
        notes.append(f"{where}{key} (expected text, got {type(value).__name__})")
        return _ABSENT
    return value.strip() or _ABSENT


def _birthdate(traits: dict[str, Any], notes: list[str]) -> Any:
    key, value = _first_present(traits, ("birthdate", "birthday"))
    if value is None or value is _ABSENT:
        return value
    text = value.strip() if isinstance(value, str) else ""
    try:
        parsed = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text).date()
        return parsed.isoformat()
    except ValueError:
        notes.append(f"traits.{key} (not an ISO 8601 date: {value!r})")
        return _ABSENT


def _address(traits: dict[str, Any], notes: list[str]) -> dict[str, Any]:
    address = traits.get("address")
    if not isinstance(address, dict):
        if address is not None:
            notes.append("traits.address (not an object)")
        return {}
    fields = {target: _text_field(address, sources, "traits.address.", notes) for target, sources in ADDRESS_TRAITS}
    return {target: value for target, value in fields.items() if value is not _ABSENT}


def _post(
    config: ConnectorConfig, kind: str, body: dict[str, Any], *, event: IncomingEvent, notes: list[str] | None = None
) -> Translation:
    """One POST to ``/segmentio/<kind>-processing``, keyed by the Segment message so a retry is the
    same request."""
    return Translation(
        requests=[
            OutboundRequest(
                destination="voucherify",
                method="POST",
                url=f"{voucherify_integration_url(dict(config.settings))}/segmentio/{kind}-processing",
                body=body,
                idempotency_key=f"voucherify:{kind}:{segment_message_key(event)}",
                notes=f"Not sent: {'; '.join(notes)}." if notes else "",
            )
        ]
    )


def _no_source_id(kind: str) -> Translation:
    return Translation(
        failed=f"This {kind} call has no userId: Voucherify customers are keyed by source_id (the Segment "
        "userId), and an anonymousId alone cannot be sent."
    )


def voucherify_customer_translation(event: IncomingEvent, config: ConnectorConfig) -> Translation:
    context = event.context
    if not context["user_id"]:
        return _no_source_id("identify")
    traits = context["traits"]
    notes: list[str] = []
    body: dict[str, Any] = {"source_id": context["user_id"]}
    for target, sources in TEXT_TRAITS:
        value = _text_field(traits, sources, "traits.", notes)
        if value is not _ABSENT:
            body[target] = value
    birthdate = _birthdate(traits, notes)
    if birthdate is not _ABSENT:
        body["birthdate"] = birthdate
    address = _address(traits, notes)
    if address:
        body["address"] = address
    metadata = traits.get("metadata", _ABSENT)
    if metadata is None:
        body["metadata"] = None
    elif isinstance(metadata, dict):
        kept, dropped = voucherify_metadata_filter(metadata, schema=voucherify_schema_effective(config.settings))
        notes += [f"metadata.{reason}" for reason in dropped]
        if kept:
            body["metadata"] = kept
    elif metadata is not _ABSENT:
        notes.append("traits.metadata (not an object)")
    body["type"] = "identify"
    return _post(config, "customer", body, event=event, notes=notes)


def _event_name(context: dict[str, Any]) -> str:
    if context["type"] == "track":
        event_name: str = context["event"]
        return event_name
    noun = "Page" if context["type"] == "page" else "Screen"
    return f"Viewed {context['name']} {noun}" if context["name"] else f"Viewed {noun}"


def _sub_object(properties: dict[str, Any], key: str, fields: tuple[str, ...]) -> dict[str, str]:
    holder = properties.get(key)
    if not isinstance(holder, dict):
        return {}
    return {field: holder[field] for field in fields if isinstance(holder.get(field), str) and holder[field]}


def _customer(context: dict[str, Any], *emails: Any) -> dict[str, str]:
    customer = {"source_id": context["user_id"]}
    email = next((e.strip() for e in emails if isinstance(e, str) and e.strip()), "")
    if email:
        customer["email"] = email
    return customer


def voucherify_custom_event_translation(event: IncomingEvent, config: ConnectorConfig) -> Translation:
    context = event.context
    if not context["user_id"]:
        return _no_source_id(context["type"])
    properties = context["properties"]
    body: dict[str, Any] = {
        "customer": _customer(context, properties.get("email"), context["context_traits"].get("email"))
    }
    referral = _sub_object(properties, "referral", ("code", "referrer_id"))
    loyalty = _sub_object(properties, "loyalty", ("code",))
    if referral:
        body["referral"] = referral
    if loyalty:
        body["loyalty"] = loyalty
    if isinstance(properties.get("metadata"), dict) and properties["metadata"]:
        body["metadata"] = properties["metadata"]
    body["event"] = _event_name(context)
    body["type"] = context["type"]
    return _post(config, "event", body, event=event)


def voucherify_group_translation(event: IncomingEvent, config: ConnectorConfig) -> Translation:
    context = event.context
    if not context["user_id"]:
        return _no_source_id("group")
    # The destination maps the customer's email from the message root (``$.email``); a group call
    # usually carries it in context.traits instead.
    email_sources = (context["raw"].get("email"), context["context_traits"].get("email"))
    body: dict[str, Any] = {"customer": _customer(context, *email_sources), "group_id": context["group_id"]}
    if context["traits"]:
        body["traits"] = context["traits"]
    body["type"] = "group"
    return _post(config, "group", body, event=event)


def voucherify_inbound_build(event: IncomingEvent, config: ConnectorConfig) -> Translation:
    kind = event.context["type"]
    if kind == "identify":
        return voucherify_customer_translation(event, config)
    if kind in ("track", "page", "screen"):
        return voucherify_custom_event_translation(event, config)
    if kind == "group":
        return voucherify_group_translation(event, config)
    return Translation(ignored=f"Voucherify has no use for a Segment {kind} call.")
