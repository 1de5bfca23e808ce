"""Segment → Voucherify: the bytes sent, what Voucherify's refusals are reported as, the typed
customer metadata and the fields read from the Segment call."""

import pytest

from connectors.kinds.base import ConnectorConfig, Direction, OutboundRequest, OutcomeKind
from connectors.kinds.voucherify_segment import KIND
from connectors.kinds.voucherify_segment.build_in import voucherify_integration_url
from connectors.kinds.voucherify_segment.metadata import voucherify_metadata_filter
from connectors.kinds.voucherify_segment.samples import GROUP

API = "https://us1.api.voucherify.io"
URL = "https://us1.segmentio.voucherify.io/segmentio/event-processing"
CONFIG = ConnectorConfig(
    connector_id="x",
    settings={"voucherify_api_url": API, "voucherify_app_id": "app-1", "segment_region": "US"},
    secrets={"voucherify_app_token": "token-1", "voucherify_webhook_secret": "s", "segment_write_key": "k"},
)
REQUEST = OutboundRequest(
    destination="voucherify",
    method="POST",
    url=URL,
    body={"customer": {"source_id": "u1", "email": "a@example.com"}, "event": "Order Placed", "type": "track"},
    idempotency_key="voucherify:event:m-1",
)


def test_the_body_is_sent_as_compact_json():
    prepared = KIND.prepare(REQUEST, CONFIG)

    assert prepared.body == (
        b'{"customer":{"source_id":"u1","email":"a@example.com"},"event":"Order Placed","type":"track"}'
    )


REFUSED = "Voucherify refused the request (HTTP 400)."


@pytest.mark.parametrize(
    ("status", "body", "reason"),
    [
        # Nothing to quote: the reason alone.
        (400, b"", REFUSED),
        (400, b"null", REFUSED),
        (400, b"[]", REFUSED),
        (
            405,
            b"",
            f"Voucherify has no Segment integration endpoint at {URL} (HTTP 405): check the API endpoint and the "
            "Custom Voucherify URL settings.",
        ),
        # A body that is not JSON is quoted trimmed, bytes that are not UTF-8 replaced.
        (400, b"  <html>Bad \xff gateway</html>\n", f"{REFUSED} Voucherify said: <html>Bad \ufffd gateway</html>"),
        # What is quoted is at most 300 characters, JSON or not.
        (400, b"x" * 400, f"{REFUSED} Voucherify said: {'x' * 300}"),
        (400, b'{"message": "' + b"m" * 400 + b'"}', f"{REFUSED} Voucherify said: {'m' * 300}"),
    ],
    ids=["empty", "null", "list", "405", "not-json", "long-text", "long-message"],
)
def test_a_refusal_quotes_what_voucherify_said_when_it_said_something(status, body, reason):
    outcome = KIND.interpret(REQUEST, status, {}, body)

    assert (outcome.kind, outcome.reason) == (OutcomeKind.TERMINAL, reason)


@pytest.mark.parametrize(
    ("metadata", "kept", "dropped"),
    [
        ({"joined": "2024-03-01"}, {"joined": "2024-03-01"}, []),
        # A date is YYYY-MM-DD: the basic form and a number are not.
        ({"joined": "20240301"}, {}, ["joined (expected date, got string)"]),
        ({"joined": 20240301}, {}, ["joined (expected date, got number)"]),
        ({"tier": True}, {}, ["tier (expected string, got boolean)"]),
        # A date-time is ISO 8601 with its time.
        ({"seen": "2024-03-01T10:00:00+00:00"}, {"seen": "2024-03-01T10:00:00+00:00"}, []),
        ({"seen": "2024-03-01T10:00:00.000Z"}, {"seen": "2024-03-01T10:00:00.000Z"}, []),
        ({"seen": "2024-03-01 10:00"}, {"seen": "2024-03-01 10:00"}, []),
        # Its date part is a date as above: the basic form is refused here too, and a date alone
        # or a date with a bare "T" has no time.
        ({"seen": "20240301T10"}, {}, ["seen (expected datetime, got string)"]),
        ({"seen": "20240301T1000"}, {}, ["seen (expected datetime, got string)"]),
        ({"seen": "2024-03-01"}, {}, ["seen (expected datetime, got string)"]),
        ({"seen": "2024-03-01T"}, {}, ["seen (expected datetime, got string)"]),
        ({"seen": "yesterday at 10"}, {}, ["seen (expected datetime, got string)"]),
        ({"seen": 1709287200000}, {}, ["seen (expected datetime, got number)"]),
    ],
)
def test_metadata_dates_and_type_names(metadata, kept, dropped):
    schema = {"joined": "date", "seen": "datetime", "tier": "string"}

    assert voucherify_metadata_filter(metadata, schema=schema) == (kept, dropped)


@pytest.mark.parametrize("setting", ["voucherify_segment_url", "voucherify_api_url"])
def test_a_url_is_used_as_typed_but_for_its_trailing_slash(setting):
    # A proxy path ending in an X: only the slash goes.
    assert voucherify_integration_url({setting: "https://proxy.acme.io/VOUCHERIFY-BOX/"}) == (
        "https://proxy.acme.io/VOUCHERIFY-BOX"
    )


def _translate(message):
    [event] = KIND.parse(Direction.IN, message, CONFIG)
    return KIND.build(Direction.IN, event, [], CONFIG)


def test_an_address_field_that_is_not_text_is_left_out_and_named():
    message = {"type": "identify", "userId": "u1", "traits": {"address": {"city": 12, "country": "GB"}}}

    [request] = _translate(message).requests

    assert request.body == {"source_id": "u1", "address": {"country": "GB"}, "type": "identify"}
    assert request.notes == "Not sent: traits.address.city (expected text, got int)."


def test_a_group_call_s_root_email_wins_over_its_context_traits():
    message = {**GROUP, "email": "root@example.com", "context": {"traits": {"email": "ctx@example.com"}}}

    [request] = _translate(message).requests

    assert request.body["customer"] == {"source_id": "user-3001", "email": "root@example.com"}
