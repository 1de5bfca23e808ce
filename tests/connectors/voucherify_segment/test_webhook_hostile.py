"""Voucherify webhooks that are unsigned, oddly shaped or too long: refused before parsing or with
the field named, never an exception of another kind."""

import copy
import hashlib
import hmac
import json

import pytest

from connectors.kinds.base import ConnectorConfig, FieldError, PayloadInvalid, Unauthenticated
from connectors.kinds.voucherify_segment.parse_out import (
    voucherify_compact,
    voucherify_signature_verify,
    voucherify_webhook_parse,
)
from connectors.kinds.voucherify_segment.samples import REDEMPTION_SUCCEEDED

SECRET = "whsec-sample"
CONFIG = ConnectorConfig(connector_id="x", settings={}, secrets={"voucherify_webhook_secret": SECRET})


def _signature(body: bytes) -> dict[str, str]:
    return {"x-voucherify-signature": hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()}


def envelope(**changes):
    payload = copy.deepcopy(REDEMPTION_SUCCEEDED)
    payload.update(changes)
    return payload


def test_a_signature_over_the_compact_form_matches_a_body_spaced_out_without_parsing_it():
    compact = json.dumps({"a b": ['x" y \\', {"k": "\n  \t"}], "é": "ü  "}, separators=(",", ":")).encode()
    spaced = json.dumps(json.loads(compact), indent=3).encode()

    assert voucherify_compact(spaced) == compact
    assert voucherify_signature_verify(spaced, _signature(compact), CONFIG) is None


def test_an_unsigned_body_that_no_parser_could_read_is_refused_as_unsigned():
    # A hundred thousand open brackets: parsing it would recurse; the signature check never parses.
    body = b"[" * 100_000

    with pytest.raises(Unauthenticated) as refused:
        voucherify_signature_verify(body, {"x-voucherify-signature": "0" * 64}, CONFIG)

    assert "does not match" in refused.value.message


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"data": {"customer": "cust_1"}}, [FieldError("data.customer", "Must be an object.")]),
        ({"data": {"customer": {"source_id": ["a", "b"]}}}, [
            FieldError("data.customer.source_id", "Must be a string.")
        ]),
        ({"event": {"type": 7}}, [FieldError("event.type", "Must be a string.")]),
        ({"created_at": "last tuesday"}, [
            FieldError("created_at", "Must be an ISO-8601 date-time, e.g. 2024-03-01T12:00:00Z.")
        ]),
        ({"event": {"created_at": 1700000000}}, [
            FieldError("event.created_at", "Must be an ISO-8601 date-time, e.g. 2024-03-01T12:00:00Z.")
        ]),
        ({"id": "whs_" + "1" * 197}, [FieldError("id", "At most 200 characters (201 sent).")]),
        ({"data": {"customer": {"email": "e" * 189 + "@example.com"}}}, [
            FieldError("data.customer.email", "At most 200 characters (201 sent).")
        ]),
        ({"type": "t" * 121, "event": None}, [FieldError("type", "At most 120 characters (121 sent).")]),
    ],
)
def test_fields_of_the_wrong_type_or_too_long_are_refused_naming_them(changes, errors):
    with pytest.raises(PayloadInvalid) as refused:
        voucherify_webhook_parse(envelope(**changes), config=CONFIG)

    assert refused.value.errors == errors


@pytest.mark.parametrize(
    ("customer", "errors"),
    [
        ({"source_id": 7}, [FieldError("customer.source_id", "Must be a string.")]),
        ({"source_id": "a", "email": ["x"]}, [FieldError("customer.email", "Must be a string.")]),
        ({"id": "c" * 201}, [FieldError("customer.id", "At most 200 characters (201 sent).")]),
    ],
)
def test_a_raw_payload_customer_of_the_wrong_shape_is_refused_naming_the_field(customer, errors):
    with pytest.raises(PayloadInvalid) as refused:
        voucherify_webhook_parse({"customer": customer, "segment": {"id": "seg_1"}}, config=CONFIG)

    assert refused.value.errors == errors
