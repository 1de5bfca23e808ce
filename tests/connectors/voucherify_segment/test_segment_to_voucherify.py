"""Segment → Voucherify: the exact request Voucherify's Segment integration receives.

Paths, headers and field names are those of Segment's own Voucherify destination
(segmentio/action-destinations ``destinations/voucherify/``): ``{Custom URL}/segmentio/
{customer|event|group}-processing``, ``authorization: Basic base64(app id)``, ``secret-key:
base64(secret)``, bodies with ``type``.
"""

import copy
import json

import pytest

from connectors.kinds.base import ConnectorConfig, Direction, OutcomeKind
from connectors.kinds.voucherify_segment import KIND
from connectors.kinds.voucherify_segment.build_in import voucherify_integration_url
from connectors.kinds.voucherify_segment.samples import GROUP, IDENTIFY, PAGE, TRACK

API = "http://127.0.0.1:8000/sandbox/voucherify"
SETTINGS = {
    "voucherify_api_url": API,
    "voucherify_app_id": "sandbox-app-id",
    "segment_region": "US",
    "voucherify_metadata_schema": {
        "read_at": "2024-03-01T09:00:00+00:00",
        "schema_id": "ms_Sandbox0Customer0Schema",
        "properties": {"tier": "string", "vip": "boolean", "visits": "number", "spot": "geopoint"},
    },
    "metadata_schema": {"tags": "string[]", "joined": "date"},
}
SECRETS = {
    "voucherify_app_token": "sandbox-app-token",
    "voucherify_webhook_secret": "s",
    "segment_write_key": "k",
}
CONFIG = ConnectorConfig(connector_id="x", settings=SETTINGS, secrets=SECRETS, sandbox_enabled=True)


def _config(**settings):
    return ConnectorConfig(connector_id="x", settings={**SETTINGS, **settings}, secrets=SECRETS)


def _translate(message, config=CONFIG):
    [event] = KIND.parse(Direction.IN, message, config)
    return KIND.build(Direction.IN, event, [], config)


def _identify(**traits):
    return {"type": "identify", "userId": "u1", "messageId": "m-1", "traits": traits}


def test_identify_goes_to_the_customer_processing_endpoint_as_the_segment_destination_sends_it():
    [request] = _translate(IDENTIFY).requests

    assert (request.destination, request.method, request.url) == (
        "voucherify",
        "POST",
        f"{API}/segmentio/customer-processing",
    )
    # Field for field the upsertCustomer payload: first/last name kept apart (Voucherify merges
    # them), the sample's birthday date-time cut to its date, address.street/postalCode as
    # street/postal_code, metadata checked by the schema, type last.
    assert request.body == {
        "source_id": "user-3001",
        "first_name": "Alex",
        "last_name": "Sample",
        "email": "alex.sample@example.com",
        "phone": "+44 20 7946 0000",
        "birthdate": "1990-04-12",
        "address": {"city": "London", "postal_code": "EC1A 1AA", "street": "1 Example Street", "country": "GB"},
        "metadata": {"tier": "gold", "vip": True},
        "type": "identify",
    }
    assert request.idempotency_key == "voucherify:customer:ajs-next-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
    assert request.notes == "Not sent: metadata.favourite_colour (not in the metadata schema)."


@pytest.mark.parametrize(
    ("traits", "body", "notes"),
    [
        # A trait present and null clears the value in Voucherify; absent or empty leaves it.
        ({"email": None}, {"email": None}, ""),
        ({"email": ""}, {}, ""),
        ({"firstName": None, "lastName": "Lee"}, {"first_name": None, "last_name": "Lee"}, ""),
        # camelCase (Segment Spec) is read before snake_case (the destination's default mapping).
        ({"firstName": "Ann", "first_name": "Anna"}, {"first_name": "Ann"}, ""),
        ({"first_name": "Anna"}, {"first_name": "Anna"}, ""),
        ({"name": "  Sam Lee "}, {"name": "Sam Lee"}, ""),
        ({"phone": 442079460000}, {}, "Not sent: traits.phone (expected text, got int)."),
        ({"birthday": None}, {"birthdate": None}, ""),
        ({"birthdate": "1990-04-12", "birthday": "1980-01-01"}, {"birthdate": "1990-04-12"}, ""),
        ({"birthdate": "12/04/1990"}, {}, "Not sent: traits.birthdate (not an ISO 8601 date: '12/04/1990')."),
        ({"birthdate": 19900412}, {}, "Not sent: traits.birthdate (not an ISO 8601 date: 19900412)."),
        ({"address": {"city": None, "postal_code": "N1"}}, {"address": {"city": None, "postal_code": "N1"}}, ""),
        ({"address": "1 Example Street"}, {}, "Not sent: traits.address (not an object)."),
        ({"metadata": None}, {"metadata": None}, ""),
        ({"metadata": {"tier": None}}, {"metadata": {"tier": None}}, ""),
        ({"metadata": {"shoe": None}}, {}, "Not sent: metadata.shoe (not in the metadata schema)."),
        ({"metadata": "gold"}, {}, "Not sent: traits.metadata (not an object)."),
    ],
)
def test_identify_traits_table(traits, body, notes):
    [request] = _translate(_identify(**traits)).requests

    assert request.body == {"source_id": "u1", **body, "type": "identify"}
    assert request.notes == notes


def test_metadata_is_typed_by_the_schema_read_from_voucherify_and_the_override():
    message = _identify(
        metadata={
            "tier": 3,
            "vip": "yes",
            "visits": 4,
            "tags": ["a", "b"],
            "joined": "2024-13-01",
            "spot": {"lat": 1},
            "favourite_colour": "green",
        }
    )

    [request] = _translate(message).requests

    # visits (number) comes from the schema read from Voucherify, tags (string[]) from the override.
    assert request.body["metadata"] == {"visits": 4, "tags": ["a", "b"]}
    assert request.notes == (
        "Not sent: metadata.tier (expected string, got number); metadata.vip (expected boolean, got string); "
        "metadata.joined (expected date, got string); "
        "metadata.spot (schema type 'geopoint' is not one the connector can check); "
        "metadata.favourite_colour (not in the metadata schema)."
    )


def test_the_override_replaces_the_type_read_from_voucherify():
    config = _config(metadata_schema={"tier": "number"})

    [request] = _translate(_identify(metadata={"tier": 3}), config).requests

    assert request.body["metadata"] == {"tier": 3}
    assert request.notes == ""


def test_without_any_schema_no_metadata_is_sent():
    config = _config(voucherify_metadata_schema={}, metadata_schema={})

    [request] = _translate(_identify(metadata={"tier": "gold"}), config).requests

    assert request.body == {"source_id": "u1", "type": "identify"}
    assert request.notes == "Not sent: metadata.tier (not in the metadata schema)."


def test_identify_without_user_id_fails():
    translation = _translate({"type": "identify", "anonymousId": "anon-1", "traits": {"email": "a@example.com"}})

    assert translation.failed == (
        "This identify call has no userId: Voucherify customers are keyed by source_id (the Segment userId), "
        "and an anonymousId alone cannot be sent."
    )
    assert (translation.requests, translation.ignored) == ([], "")


def test_track_goes_to_the_event_processing_endpoint():
    [request] = _translate(TRACK).requests

    assert request.url == f"{API}/segmentio/event-processing"
    assert request.body == {
        "customer": {"source_id": "user-3001", "email": "alex.sample@example.com"},
        "referral": {"code": "REF-ALEX"},
        "metadata": {"rating": 5, "product": "Uno Card Game"},
        "event": "Review Written",
        "type": "track",
    }
    assert request.idempotency_key == "voucherify:event:ajs-next-5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b"


def test_property_email_wins_over_context_traits_and_loyalty_is_sent():
    message = copy.deepcopy(TRACK)
    message["properties"] = {"email": "props@example.com", "loyalty": {"code": "LOY-1"}, "total": 12}

    [request] = _translate(message).requests

    # Only properties.metadata is event metadata; total is not sent (the destination maps no other property).
    assert request.body == {
        "customer": {"source_id": "user-3001", "email": "props@example.com"},
        "loyalty": {"code": "LOY-1"},
        "event": "Review Written",
        "type": "track",
    }


def test_a_referral_carries_its_code_and_its_referrer_and_nothing_else():
    # Segment's Voucherify destination sends a referral as {code, referrer_id}; other keys, empty
    # values and non-text values are not part of it.
    message = copy.deepcopy(TRACK)
    message["properties"] = {"referral": {"code": "REF-ALEX", "referrer_id": "cust_9", "campaign": "Spring", "x": 1}}

    [request] = _translate(message).requests

    assert request.body["referral"] == {"code": "REF-ALEX", "referrer_id": "cust_9"}


@pytest.mark.parametrize(
    ("message", "event_name", "kind"),
    [
        (PAGE, "Viewed Pricing Page", "page"),
        ({"type": "screen", "name": "Basket", "userId": "user-3001"}, "Viewed Basket Screen", "screen"),
        ({"type": "page", "userId": "user-3001"}, "Viewed Page", "page"),
    ],
)
def test_page_and_screen_become_viewed_events(message, event_name, kind):
    [request] = _translate(message).requests

    assert request.url == f"{API}/segmentio/event-processing"
    assert request.body == {"customer": {"source_id": "user-3001"}, "event": event_name, "type": kind}


def test_track_without_user_id_fails():
    message = copy.deepcopy(TRACK)
    message["anonymousId"] = message.pop("userId")

    translation = _translate(message)

    assert translation.failed.startswith("This track call has no userId")
    assert translation.requests == []


def test_group_goes_to_the_group_processing_endpoint_with_its_traits():
    [request] = _translate(GROUP).requests

    assert request.url == f"{API}/segmentio/group-processing"
    assert request.body == {
        "customer": {"source_id": "user-3001"},
        "group_id": "acme-ltd",
        "traits": {"name": "Acme Ltd", "plan": "enterprise"},
        "type": "group",
    }
    assert request.notes == ""
    assert request.idempotency_key == "voucherify:group:ajs-next-9e0f1a2b-3c4d-4e5f-8a6b-7c8d9e0f1a2b"


def test_group_email_comes_from_the_message_root_then_context_traits():
    message = {**GROUP, "traits": {}, "context": {"traits": {"email": "ctx@example.com"}}}

    [request] = _translate(message).requests

    assert request.body == {
        "customer": {"source_id": "user-3001", "email": "ctx@example.com"},
        "group_id": "acme-ltd",
        "type": "group",
    }


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


@pytest.mark.parametrize(
    ("given", "url"),
    [
        # Voucherify's rule (integrations/segment.mdx): the api label becomes segmentio.
        ({"voucherify_api_url": "https://api.voucherify.io"}, "https://segmentio.voucherify.io"),
        ({"voucherify_api_url": "https://us1.api.voucherify.io"}, "https://us1.segmentio.voucherify.io"),
        ({"voucherify_api_url": "https://as1.api.voucherify.io/"}, "https://as1.segmentio.voucherify.io"),
        ({"voucherify_api_url": "https://api.voucherify.io:8443"}, "https://segmentio.voucherify.io:8443"),
        ({"voucherify_api_url": "https://acme.voucherify.io"}, "https://acme.voucherify.io"),
        ({}, "https://segmentio.voucherify.io"),
        (
            {"voucherify_api_url": "https://api.voucherify.io", "voucherify_segment_url": "https://seg.acme.io/"},
            "https://seg.acme.io",
        ),
    ],
)
def test_integration_url_table(given, url):
    assert voucherify_integration_url(given) == url


def test_prepare_authenticates_as_the_segment_destination_does():
    [request] = _translate(TRACK).requests

    prepared = KIND.prepare(request, CONFIG)

    # base64("sandbox-app-id") and base64("sandbox-app-token"): the id alone, no "id:secret" pair.
    assert prepared.headers == {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "authorization": "Basic c2FuZGJveC1hcHAtaWQ=",
        "secret-key": "c2FuZGJveC1hcHAtdG9rZW4=",
    }
    assert (prepared.method, prepared.url) == ("POST", f"{API}/segmentio/event-processing")
    assert json.loads(prepared.body) == request.body
    assert "sandbox-app-token" not in json.dumps(request.body)


@pytest.mark.parametrize(
    ("status", "body", "reason"),
    [
        (
            400,
            b'{"code":400,"key":"invalid_payload","message":"Invalid payload","details":"type is required."}',
            "Voucherify refused the request (HTTP 400). Voucherify said: invalid_payload: Invalid payload: "
            "type is required.",
        ),
        (
            401,
            b'{"code":401,"key":"unauthorized","message":"Unauthorized"}',
            "Voucherify refused the application id or secret key. Use an integration key created for Segment; "
            "keys work only on their own project's region: check the API endpoint setting too. "
            "Voucherify said: unauthorized: Unauthorized",
        ),
        (
            404,
            b'{"code":404,"key":"not_found","message":"Resource not found"}',
            f"Voucherify has no Segment integration endpoint at {API}/segmentio/event-processing (HTTP 404): check "
            "the API endpoint and the Custom Voucherify URL settings. Voucherify said: not_found: Resource not found",
        ),
    ],
)
def test_interpret_explains_voucherify_refusals(status, body, reason):
    [request] = _translate(TRACK).requests

    outcome = KIND.interpret(request, status, {}, body)

    assert outcome.kind is OutcomeKind.TERMINAL
    assert outcome.reason == reason


@pytest.mark.parametrize("status", [200, 408, 429, 500])
def test_interpret_leaves_success_and_retryable_answers_to_the_generic_rules(status):
    [request] = _translate(TRACK).requests

    assert KIND.interpret(request, status, {}, b"{}") is None


def _send_to_sandbox(client, message):
    """Translate and prepare as the pipeline does, then post the exact bytes to the sandbox."""
    [request] = _translate(message).requests
    prepared = KIND.prepare(request, CONFIG)
    path = prepared.url.removeprefix("http://127.0.0.1:8000")
    headers = {k: v for k, v in prepared.headers.items() if k != "Content-Type"}
    return client.post(path, data=prepared.body, content_type=prepared.headers["Content-Type"], headers=headers)


@pytest.mark.django_db
@pytest.mark.parametrize("message", [IDENTIFY, TRACK, PAGE, GROUP], ids=["identify", "track", "page", "group"])
def test_every_request_the_kind_builds_is_accepted_by_the_strict_sandbox(client, message):
    response = _send_to_sandbox(client, message)

    assert response.status_code == 200, response.json()


@pytest.mark.django_db
def test_a_null_trait_clears_the_value_voucherify_holds(client):
    _send_to_sandbox(client, _identify(email="a@example.com", metadata={"tier": "gold", "vip": True}))

    response = _send_to_sandbox(client, _identify(email=None, metadata={"tier": None}))

    customer = response.json()
    assert (customer["source_id"], customer["email"], customer["metadata"]) == ("u1", None, {"vip": True})
