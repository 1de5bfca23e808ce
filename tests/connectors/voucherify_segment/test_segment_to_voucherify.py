import copy
import json

import pytest

from connectors.kinds.base import ConnectorConfig, Direction, OutcomeKind
from connectors.kinds.voucherify_segment import KIND
from connectors.kinds.voucherify_segment.samples import GROUP, IDENTIFY, PAGE, TRACK

SETTINGS = {
    "voucherify_api_url": "http://127.0.0.1:8000/sandbox/voucherify",
    "voucherify_app_id": "sandbox-app-id",
    "segment_region": "US",
    "metadata_schema": {
        "tier": "string",
        "vip": "boolean",
        "visits": "number",
        "tags": "string[]",
        "joined": "date",
        "group_id": "string",
        "group_plan": "string",
        "spot": "geopoint",
    },
}
SECRETS = {
    "voucherify_app_token": "sandbox-app-token",
    "voucherify_webhook_secret": "s",
    "segment_write_key": "k",
}
CONFIG = ConnectorConfig(connector_id="x", settings=SETTINGS, secrets=SECRETS, sandbox_enabled=True)
API = "http://127.0.0.1:8000/sandbox/voucherify"


def _translate(message, config=CONFIG):
    [event] = KIND.parse(Direction.IN, message, config)
    return KIND.build(Direction.IN, event, [], config)


def test_identify_upserts_the_customer_with_schema_checked_metadata():
    translation = _translate(IDENTIFY)

    [request] = translation.requests
    assert (request.destination, request.method, request.url) == ("voucherify", "POST", f"{API}/v1/customers")
    assert request.body == {
        "source_id": "user-3001",
        "name": "Alex Sample",
        "email": "alex.sample@example.com",
        "phone": "+44 20 7946 0000",
        "birthdate": "1990-04-12",
        "address": {
            "line_1": "1 Example Street",
            "city": "London",
            "postal_code": "EC1A 1AA",
            "country": "GB",
        },
        "metadata": {"tier": "gold", "vip": True},
    }
    assert request.idempotency_key == "voucherify:customer:ajs-next-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
    assert request.notes == "Metadata not sent: favourite_colour (not in the metadata schema)."


def test_metadata_of_the_wrong_type_is_left_out_and_noted():
    message = copy.deepcopy(IDENTIFY)
    message["traits"]["metadata"] = {
        "tier": 3,
        "vip": "yes",
        "visits": 4,
        "tags": ["a", "b"],
        "joined": "2024-13-01",
        "spot": {"lat": 1},
        "unset": None,
    }

    [request] = _translate(message).requests

    assert request.body["metadata"] == {"visits": 4, "tags": ["a", "b"]}
    assert request.notes == (
        "Metadata not sent: tier (expected string, got number); vip (expected boolean, got string); "
        "joined (expected date, got string); "
        "spot (schema type 'geopoint' is not one the connector can check)."
    )


def test_identify_with_only_a_name_and_null_traits_sends_no_empty_fields():
    message = {"type": "identify", "userId": "u1", "traits": {"name": "Sam", "email": None, "phone": ""}}

    [request] = _translate(message).requests

    assert request.body == {"source_id": "u1", "name": "Sam"}
    assert request.notes == ""


def test_identify_without_user_id_fails():
    translation = _translate(
        {"type": "identify", "anonymousId": "anon-1", "traits": {"email": "a@example.com"}}
    )

    assert translation.failed == (
        "This identify call has no userId: Voucherify customers are keyed by source_id (the Segment userId), "
        "and an anonymousId alone cannot be sent."
    )
    assert (translation.requests, translation.ignored) == ([], "")


def test_track_becomes_a_custom_event_with_the_customer():
    [request] = _translate(TRACK).requests

    assert request.url == f"{API}/v1/events"
    assert request.body == {
        "event": "Review Written",
        "customer": {"source_id": "user-3001", "email": "alex.sample@example.com"},
        "referral": {"code": "REF-ALEX"},
        "metadata": {"rating": 5, "product": "Uno Card Game"},
    }
    assert request.idempotency_key == "voucherify:event:ajs-next-5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b"


def test_property_email_wins_over_context_traits_and_loyalty_is_sent():
    message = copy.deepcopy(TRACK)
    message["properties"] = {"email": "props@example.com", "loyalty": {"code": "LOY-1"}}

    [request] = _translate(message).requests

    assert request.body == {
        "event": "Review Written",
        "customer": {"source_id": "user-3001", "email": "props@example.com"},
        "loyalty": {"code": "LOY-1"},
    }


@pytest.mark.parametrize(
    ("message", "event_name"),
    [
        (PAGE, "Viewed Pricing Page"),
        ({"type": "screen", "name": "Basket", "userId": "user-3001"}, "Viewed Basket Screen"),
        ({"type": "page", "userId": "user-3001"}, "Viewed Page"),
    ],
)
def test_page_and_screen_become_viewed_events(message, event_name):
    [request] = _translate(message).requests

    assert request.body == {"event": event_name, "customer": {"source_id": "user-3001"}}


def test_track_without_user_id_fails():
    message = copy.deepcopy(TRACK)
    message["anonymousId"] = message.pop("userId")

    translation = _translate(message)

    assert translation.failed.startswith("This track call has no userId")
    assert translation.requests == []


def test_group_is_kept_in_customer_metadata():
    [request] = _translate(GROUP).requests

    assert request.url == f"{API}/v1/customers"
    assert request.body == {
        "source_id": "user-3001",
        "metadata": {"group_id": "acme-ltd", "group_plan": "enterprise"},
    }
    assert request.notes == "Metadata not sent: group_name (not in the metadata schema)."
    assert request.idempotency_key == "voucherify:group:ajs-next-9e0f1a2b-3c4d-4e5f-8a6b-7c8d9e0f1a2b"


def test_group_without_schema_keys_is_ignored():
    config = ConnectorConfig(connector_id="x", settings={**SETTINGS, "metadata_schema": {}}, secrets=SECRETS)

    translation = _translate(GROUP, config)

    assert translation.ignored == (
        "None of the group's keys (group_id, group_name, group_plan) are defined in this connector's "
        "customer metadata schema, so there is nothing Voucherify would store."
    )
    assert translation.requests == []


def test_alias_is_ignored():
    translation = _translate({"type": "alias", "userId": "u1", "previousId": "u0"})

    assert translation.ignored == "Voucherify has no use for a Segment alias call."
    assert translation.requests == []


def test_batch_gives_one_event_per_message():
    events = KIND.parse(Direction.IN, {"batch": [IDENTIFY, TRACK, PAGE]}, CONFIG)

    assert [(e.event_type, e.identity) for e in events] == [
        ("identify", "user-3001"),
        ("track:Review Written", "user-3001"),
        ("page", "user-3001"),
    ]
    assert events[1].occurred_at.isoformat() == "2024-03-01T10:05:00+00:00"
    assert events[1].context["raw"] == TRACK


def test_prepare_adds_voucherify_keys_at_send_time():
    [request] = _translate(TRACK).requests

    prepared = KIND.prepare(request, CONFIG)

    assert prepared.headers == {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-App-Id": "sandbox-app-id",
        "X-App-Token": "sandbox-app-token",
    }
    assert json.loads(prepared.body) == request.body
    assert "sandbox-app-token" not in json.dumps(request.body)


@pytest.mark.parametrize(
    ("status", "url_path", "body", "reason"),
    [
        (
            400,
            "/v1/customers",
            b'{"code":400,"key":"invalid_customer","message":"Invalid customer",'
            b'"details":"email is invalid"}',
            "Voucherify refused the request (HTTP 400). Voucherify said: invalid_customer: Invalid customer: "
            "email is invalid",
        ),
        (
            401,
            "/v1/customers",
            b'{"code":401,"key":"unauthorized","message":"Unauthorized"}',
            "Voucherify refused the application id or secret key. Keys work only on their own project's "
            "region: check the API endpoint setting too. Voucherify said: unauthorized: Unauthorized",
        ),
        (
            404,
            "/v1/events",
            b'{"code":404,"key":"not_found","message":"Resource not found"}',
            "Voucherify could not find what this custom event refers to: is the event defined in Project "
            "Settings → Event Schema? Voucherify said: not_found: Resource not found",
        ),
    ],
)
def test_interpret_explains_voucherify_refusals(status, url_path, body, reason):
    [request] = _translate(TRACK if url_path == "/v1/events" else IDENTIFY).requests

    outcome = KIND.interpret(request, status, {}, body)

    assert outcome.kind is OutcomeKind.TERMINAL
    assert outcome.reason == reason


@pytest.mark.parametrize("status", [200, 408, 429, 500])
def test_interpret_leaves_success_and_retryable_answers_to_the_generic_rules(status):
    [request] = _translate(TRACK).requests

    assert KIND.interpret(request, status, {}, b"{}") is None
