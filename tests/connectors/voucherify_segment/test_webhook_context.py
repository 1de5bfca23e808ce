"""Voucherify webhook → event: the exact context the mapping rules read (and so what reaches
Segment), for an envelope and for a distribution's raw payload, and the envelope's errors word for
word."""

import copy
import hashlib
from datetime import UTC, datetime

import pytest

from connectors.kinds.base import ConnectorConfig, FieldError, PayloadInvalid, Unauthenticated
from connectors.kinds.voucherify_segment.parse_out import voucherify_signature_verify, voucherify_webhook_parse

CONFIG = ConnectorConfig(connector_id="x", settings={}, secrets={"voucherify_webhook_secret": "s"})

# A "customer rewarded" project webhook, cut to what each rule of the context shows.
ENVELOPE = {
    "id": "whs_Ctx0Rewarded01",
    "project_id": "proj_Ctx0Project",
    "created_at": "2024-05-02T08:00:01.000Z",
    "type": "customer.rewarded",
    "data": {
        "customer": {
            "id": "cust_Ctx01",
            "source_id": "user-51",
            "email": "ann@example.com",
            "address": {"city": "Leeds", "state": None},
            "metadata": {"tags": ["vip", "early"], "orders": [{"id": "o1"}]},
            "object": "customer",
        },
        "reward": {"id": "rew_Ctx01", "name": "Free coffee"},
        "holder": None,
        "vouchers": [{"code": "A-1"}],
        "points": 40,
    },
    "source": {"id": "wh_Ctx0Webhook", "object": "webhook"},
    "event": {"id": "evcus_Ctx01", "type": "customer.rewarded", "created_at": "2024-05-02T08:00:00.000Z"},
}


def _envelope(**changes):
    payload = copy.deepcopy(ENVELOPE)
    payload.update(changes)
    return payload


def _parse(payload, config=CONFIG):
    [event] = voucherify_webhook_parse(payload, config=config)
    return event


def test_an_envelope_gives_every_context_field_the_rules_read():
    payload = _envelope()

    event = _parse(payload)

    assert event.context == {
        "event_type": "customer.rewarded",
        "voucherify_type": "customer.rewarded",
        "webhook_id": "whs_Ctx0Rewarded01",
        "voucherify_event_id": "evcus_Ctx01",
        # The event's own time, not the envelope's (one second later, when it was sent).
        "created_at": "2024-05-02T08:00:00.000Z",
        "project_id": "proj_Ctx0Project",
        "customer_source_id": "user-51",
        "customer_email": "ann@example.com",
        # Nested objects become parent_child keys; a list of plain values is kept as it is, a list
        # of objects and a null are left out, at any depth.
        "data": {
            "customer": {
                "id": "cust_Ctx01",
                "source_id": "user-51",
                "email": "ann@example.com",
                "address_city": "Leeds",
                "metadata_tags": ["vip", "early"],
                "object": "customer",
            },
            "reward": {"id": "rew_Ctx01", "name": "Free coffee"},
            "points": 40,
        },
        "raw": payload,
    }
    assert (event.event_type, event.source_event_id, event.identity) == (
        "customer.rewarded",
        "whs_Ctx0Rewarded01",
        "user-51",
    )
    assert event.occurred_at == datetime(2024, 5, 2, 8, 0, 0, tzinfo=UTC)
    assert event.raw == payload


def test_an_envelope_without_an_event_object_or_project_takes_the_envelope_time_and_empty_ids():
    payload = _envelope(event=None)
    del payload["project_id"]

    event = _parse(payload)

    assert {key: event.context[key] for key in ("voucherify_event_id", "created_at", "project_id")} == {
        "voucherify_event_id": "",
        "created_at": "2024-05-02T08:00:01.000Z",
        "project_id": "",
    }
    assert event.occurred_at == datetime(2024, 5, 2, 8, 0, 1, tzinfo=UTC)


def test_an_envelope_without_any_date_has_an_empty_created_at_and_no_time():
    payload = _envelope(event={"id": "evcus_Ctx02", "type": "customer.rewarded"})
    del payload["created_at"]

    event = _parse(payload)

    assert (event.context["created_at"], event.occurred_at) == ("", None)
    assert event.context["voucherify_event_id"] == "evcus_Ctx02"


def test_an_envelope_without_a_customer_has_no_identity():
    payload = _envelope()
    del payload["data"]["customer"]

    event = _parse(payload)

    assert (event.identity, event.context["customer_source_id"], event.context["customer_email"]) == ("", "", "")


def test_the_identity_falls_back_to_the_email_then_the_voucherify_id():
    by_email = _envelope()
    del by_email["data"]["customer"]["source_id"]
    by_id = copy.deepcopy(by_email)
    by_id["data"]["customer"]["email"] = None

    assert (_parse(by_email).identity, _parse(by_id).identity) == ("ann@example.com", "cust_Ctx01")


def test_a_body_with_envelope_data_is_an_envelope_even_with_a_customer_at_its_root():
    payload = _envelope(customer={"source_id": "someone-else", "object": "customer"})

    event = _parse(payload)

    assert (event.source_event_id, event.identity) == ("whs_Ctx0Rewarded01", "user-51")


def test_a_raw_payload_context_has_empty_envelope_fields_and_the_root_objects_as_data():
    payload = {
        "customer": {"id": "cust_Raw01", "source_id": "zoe-1", "email": "zoe@example.com", "object": "customer"},
        "segment": {"id": "seg_Raw01", "name": "Café regulars", "object": "segment"},
    }
    # The id is the SHA-256 of the canonical JSON: keys sorted, no spaces, characters as sent (UTF-8).
    canonical = (
        '{"customer":{"email":"zoe@example.com","id":"cust_Raw01","object":"customer","source_id":"zoe-1"},'
        '"segment":{"id":"seg_Raw01","name":"Café regulars","object":"segment"}}'
    ).encode()

    event = _parse(copy.deepcopy(payload))

    assert event.source_event_id == "raw-" + hashlib.sha256(canonical).hexdigest()[:40]
    assert event.context == {
        "event_type": "customer.segment.entered",
        "voucherify_type": "",
        "webhook_id": "",
        "voucherify_event_id": "",
        "created_at": "",
        "project_id": "",
        "customer_source_id": "zoe-1",
        "customer_email": "zoe@example.com",
        "data": payload,
        "raw": payload,
    }
    assert (event.identity, event.occurred_at, event.raw) == ("zoe-1", None, payload)


def test_without_a_webhook_secret_the_refusal_says_where_to_find_it():
    config = ConnectorConfig(connector_id="x", settings={}, secrets={})

    with pytest.raises(Unauthenticated) as refused:
        voucherify_signature_verify(b"{}", {"x-voucherify-signature": "0" * 64}, config)

    assert refused.value.message == (
        "This connector has no Voucherify webhook secret, so no webhook can be verified: enter it from "
        "Voucherify → Project Settings → Webhooks."
    )


def _without(*keys):
    payload = _envelope()
    for key in keys:
        del payload[key]
    return payload


@pytest.mark.parametrize(
    ("payload", "errors"),
    [
        ([ENVELOPE], [FieldError("", "Must be a Voucherify webhook envelope (a JSON object).")]),
        (_without("id"), [FieldError("id", "The webhook envelope needs its id.")]),
        (_without("type"), [FieldError("type", "The webhook envelope needs its type.")]),
        (_envelope(event="customer.rewarded"), [FieldError("event", "Must be an object.")]),
        (_envelope(event={"id": 7, "type": "customer.rewarded"}), [FieldError("event.id", "Must be a string.")]),
        (
            _envelope(data={"customer": {"source_id": "u", "id": "c" * 201}}),
            [FieldError("data.customer.id", "At most 200 characters (201 sent).")],
        ),
        # The event's own type is the one checked (and named) when it has one.
        (
            _envelope(event={"type": "e" * 121}),
            [FieldError("event.type", "At most 120 characters (121 sent).")],
        ),
    ],
    ids=["not-an-object", "no-id", "no-type", "event-not-object", "event-id-number", "customer-id-long",
         "event-type-long"],
)
def test_envelope_errors_name_the_field_and_say_why(payload, errors):
    with pytest.raises(PayloadInvalid) as refused:
        voucherify_webhook_parse(payload, config=CONFIG)

    assert refused.value.errors == errors


def test_ids_of_200_characters_and_an_event_type_of_120_are_kept_whole():
    webhook_id = "whs_" + "1" * 196
    source_id = "u" * 200
    event_type = "e" * 120
    payload = _envelope(id=webhook_id, event={"id": "v" * 200, "type": event_type})
    payload["data"]["customer"]["source_id"] = source_id

    event = _parse(payload)

    assert (event.source_event_id, event.identity, event.event_type) == (webhook_id, source_id, event_type)
    assert event.context["voucherify_event_id"] == "v" * 200
