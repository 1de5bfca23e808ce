"""The Voucherify sandbox refuses what Voucherify refuses: another path (404), another method (405),
missing or wrong keys (401), a body the Segment destination's schema would not produce (400), all
in Voucherify's ``{"code", "key", "message", "details"}``; and stores only what Voucherify stores."""

import json

import pytest

from connectors.sandbox.models import SandboxRecord, SandboxRequest
from connectors.sandbox.voucherify import CUSTOMER_METADATA_SCHEMA

# base64("sandbox-app-id"), base64("sandbox-app-token"): the Segment destination's extendRequest.
INTEGRATION_AUTH = {"authorization": "Basic c2FuZGJveC1hcHAtaWQ=", "secret-key": "c2FuZGJveC1hcHAtdG9rZW4="}
API_AUTH = {"X-App-Id": "sandbox-app-id", "X-App-Token": "sandbox-app-token"}
CUSTOMER = "/sandbox/voucherify/segmentio/customer-processing"
EVENT = "/sandbox/voucherify/segmentio/event-processing"
GROUP = "/sandbox/voucherify/segmentio/group-processing"
SCHEMA = "/sandbox/voucherify/v1/metadata-schemas/customer"


def _post(client, url, payload, headers=INTEGRATION_AUTH, content_type="application/json"):
    body = payload if isinstance(payload, bytes) else json.dumps(payload)
    return client.post(url, data=body, content_type=content_type, headers=headers)


def _customer(source_id="u-1"):
    return SandboxRecord.objects.get(upstream="voucherify", key=f"customer:{source_id}").data


@pytest.mark.django_db
def test_customer_processing_creates_then_updates_one_customer(client):
    created = _post(
        client,
        CUSTOMER,
        {
            "source_id": "u-1",
            "first_name": "Ann",
            "last_name": "Lee",
            "address": {"street": "1 High St", "postal_code": "N1"},
            "metadata": {"tier": "gold", "visits": 3},
            "type": "identify",
        },
    )
    updated = _post(client, CUSTOMER, {"source_id": "u-1", "email": "ann@example.com", "type": "identify"})

    assert (created.status_code, updated.status_code) == (200, 200)
    customer = updated.json()
    assert customer["id"] == created.json()["id"]
    assert customer["id"].startswith("cust_")
    # first_name and last_name merged into name; street stored as line_1; metadata untouched by the update.
    assert (customer["name"], customer["email"]) == ("Ann Lee", "ann@example.com")
    assert (customer["address"]["line_1"], customer["address"]["postal_code"]) == ("1 High St", "N1")
    assert customer["metadata"] == {"tier": "gold", "visits": 3}
    assert SandboxRecord.objects.filter(upstream="voucherify").count() == 1


@pytest.mark.django_db
def test_customer_processing_keeps_only_defined_metadata_of_the_defined_type(client):
    metadata = {
        "tier": "gold",
        "vip": "yes",  # boolean defined: wrong type
        "tags": ["a", 1],  # string[] defined: one element is a number
        "joined": "2024-02-30",  # not a date
        "favourite_colour": "green",  # not defined
        "legacy_segment": "old",  # definition deleted
        "last_order_at": "2024-03-01T10:00:00Z",
    }

    response = _post(client, CUSTOMER, {"source_id": "u-1", "metadata": metadata, "type": "identify"})

    assert response.json()["metadata"] == {"tier": "gold", "last_order_at": "2024-03-01T10:00:00Z"}


@pytest.mark.django_db
def test_null_clears_a_customer_value_and_a_metadata_key(client):
    first = {"source_id": "u-1", "phone": "+44 1", "metadata": {"tier": "gold", "vip": True}, "type": "identify"}
    _post(client, CUSTOMER, first)

    _post(client, CUSTOMER, {"source_id": "u-1", "phone": None, "metadata": {"tier": None}, "type": "identify"})

    assert (_customer()["phone"], _customer()["metadata"]) == (None, {"vip": True})


@pytest.mark.django_db
def test_event_processing_creates_an_unknown_customer(client):
    payload = {"customer": {"source_id": "u-2"}, "metadata": {"total": 12}, "event": "Order Completed", "type": "track"}

    response = _post(client, EVENT, payload)

    assert response.status_code == 200
    event = response.json()
    assert (event["object"], event["type"], event["metadata"]) == ("event", "Order Completed", {"total": 12})
    assert event["customer"]["source_id"] == "u-2"
    assert _customer("u-2")["id"] == event["customer"]["id"]


@pytest.mark.django_db
def test_group_processing_writes_defined_group_traits_into_customer_metadata(client):
    payload = {
        "customer": {"source_id": "u-1"},
        "group_id": "acme-ltd",
        "traits": {"name": "Acme Ltd", "plan": "enterprise"},
        "type": "group",
    }

    response = _post(client, GROUP, payload)

    assert response.status_code == 200
    # plan is defined in the sandbox schema, name is not.
    assert _customer()["metadata"] == {"plan": "enterprise"}
    group = SandboxRecord.objects.get(upstream="voucherify", key="group:u-1:acme-ltd").data
    assert group["traits"] == {"name": "Acme Ltd", "plan": "enterprise"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"authorization": INTEGRATION_AUTH["authorization"]},
        {**INTEGRATION_AUTH, "secret-key": "d3Jvbmc="},
        # the secret in clear, not base64
        {**INTEGRATION_AUTH, "secret-key": "sandbox-app-token"},
        # HTTP Basic of "id:secret", as a generic client would build it
        {**INTEGRATION_AUTH, "authorization": "Basic c2FuZGJveC1hcHAtaWQ6c2FuZGJveC1hcHAtdG9rZW4="},
        # the public API's headers are not the integration's
        API_AUTH,
    ],
    ids=["none", "no-secret-key", "wrong-secret", "secret-not-base64", "id-colon-secret", "public-api-keys"],
)
def test_the_integration_refuses_missing_or_wrong_keys(client, headers):
    response = _post(client, CUSTOMER, {"source_id": "u-1", "type": "identify"}, headers=headers)

    assert response.status_code == 401
    assert response.json() == {
        "code": 401,
        "key": "unauthorized",
        "message": "Unauthorized",
        "details": "Invalid authorization (Basic base64 of the application id) or secret-key "
        "(base64 of the secret key).",
    }
    assert SandboxRecord.objects.count() == 0
    assert SandboxRequest.objects.get().status == 401


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "payload", "details"),
    [
        (CUSTOMER, b"{", "The body is not valid JSON."),
        (CUSTOMER, b"[]", "The body must be a JSON object."),
        (CUSTOMER, {"source_id": "u-1"}, "type is required."),
        (CUSTOMER, {"type": "identify"}, "source_id is required."),
        (CUSTOMER, {"source_id": "", "type": "identify"}, "source_id cannot be empty."),
        (CUSTOMER, {"source_id": 7, "type": "identify"}, "source_id must be a string."),
        (CUSTOMER, {"source_id": None, "type": "identify"}, "source_id must be a string."),
        (CUSTOMER, {"source_id": "u-1", "type": "identify", "line_1": "x"}, "Unknown property line_1."),
        (CUSTOMER, {"source_id": "u-1", "type": "identify", "userId": "u-1"}, "Unknown property userId."),
        (
            CUSTOMER,
            {"source_id": "u-1", "type": "identify", "address": {"line_1": "1 High St"}},
            "Unknown property address.line_1.",
        ),
        (CUSTOMER, {"source_id": "u-1", "type": "identify", "address": None}, "address must be an object."),
        (CUSTOMER, {"source_id": "u-1", "type": "identify", "email": 5}, "email must be a string."),
        (CUSTOMER, {"source_id": "u-1", "type": "identify", "metadata": "gold"}, "metadata must be an object."),
        (
            CUSTOMER,
            {"source_id": "u-1", "type": "identify", "birthdate": "12/04/1990"},
            "birthdate must be a date (YYYY-MM-DD) or an ISO 8601 date-time.",
        ),
        (EVENT, {"event": "E", "type": "track"}, "customer is required."),
        (EVENT, {"customer": {}, "event": "E", "type": "track"}, "customer.source_id is required."),
        (EVENT, {"customer": {"source_id": "u-1"}, "type": "track"}, "event is required."),
        (EVENT, {"customer": {"source_id": "u-1"}, "event": "E"}, "type is required."),
        (
            EVENT,
            {"customer": {"source_id": "u-1", "name": "Ann"}, "event": "E", "type": "track"},
            "Unknown property customer.name.",
        ),
        (
            EVENT,
            {"customer": {"source_id": "u-1"}, "event": "E", "type": "track", "properties": {}},
            "Unknown property properties.",
        ),
        (
            EVENT,
            {"customer": {"source_id": "u-1"}, "event": "E", "type": "track", "loyalty": {"code": 1}},
            "loyalty.code must be a string.",
        ),
        (EVENT, {"customer": {"source_id": "u-1"}, "event": None, "type": "track"}, "event must be a string."),
        (GROUP, {"customer": {"source_id": "u-1"}, "type": "group"}, "group_id is required."),
        (
            GROUP,
            {"customer": {"source_id": "u-1"}, "group_id": "g", "traits": [], "type": "group"},
            "traits must be an object.",
        ),
        (
            GROUP,
            {"customer": {"source_id": "u-1"}, "group_id": "g", "groupId": "g", "type": "group"},
            "Unknown property groupId.",
        ),
    ],
)
def test_the_integration_refuses_bodies_the_segment_destination_would_not_send(client, url, payload, details):
    response = _post(client, url, payload)

    assert response.status_code == 400
    assert response.json() == {"code": 400, "key": "invalid_payload", "message": "Invalid payload", "details": details}
    assert SandboxRecord.objects.count() == 0


@pytest.mark.django_db
def test_a_body_that_is_not_json_is_415(client):
    response = _post(client, CUSTOMER, b"source_id=u-1", content_type="application/x-www-form-urlencoded")

    assert response.status_code == 415
    assert response.json()["code"] == 415
    assert SandboxRecord.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/sandbox/voucherify/v1/customers",
        "/sandbox/voucherify/v1/events",
        "/sandbox/voucherify/segmentio/identify-processing",
        "/sandbox/voucherify/segmentio/customer-processing/",
        "/sandbox/voucherify/customer-processing",
        "/sandbox/voucherify/v1/metadata-schemas/customer/extra",
    ],
)
def test_any_other_path_is_404(client, path):
    response = _post(client, path, {"source_id": "u-1", "type": "identify"})

    assert response.status_code == 404
    assert response.json()["key"] == "not_found"
    assert response.json()["code"] == 404
    assert SandboxRecord.objects.count() == 0
    assert SandboxRequest.objects.get().status == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [("get", CUSTOMER, "POST"), ("put", EVENT, "POST"), ("delete", GROUP, "POST"), ("post", SCHEMA, "GET")],
)
def test_another_method_is_405_naming_the_allowed_one(client, method, path, allowed):
    response = getattr(client, method)(path, headers={**INTEGRATION_AUTH, **API_AUTH})

    assert response.status_code == 405
    assert response.json() == {
        "code": 405,
        "key": "method_not_allowed",
        "message": "HTTP Method Not Allowed",
        "details": f"{method.upper()} is not supported by this endpoint. Did you mean {allowed}?",
    }


@pytest.mark.django_db
def test_the_customer_metadata_schema_is_served_with_the_api_keys(client):
    response = client.get(SCHEMA, headers=API_AUTH)

    assert response.status_code == 200
    assert response.json() == CUSTOMER_METADATA_SCHEMA
    assert response.json()["properties"]["tags"] == {
        "type": "string", "array": True, "optional": True, "objectType": None
    }


@pytest.mark.django_db
@pytest.mark.parametrize("headers", [{}, INTEGRATION_AUTH, {**API_AUTH, "X-App-Token": "wrong"}])
def test_the_metadata_schema_needs_the_api_keys(client, headers):
    response = client.get(SCHEMA, headers=headers)

    assert response.status_code == 401
    assert response.json()["details"] == "Invalid X-App-Id or X-App-Token."


@pytest.mark.django_db
def test_a_resource_without_a_schema_is_404(client):
    response = client.get("/sandbox/voucherify/v1/metadata-schemas/order", headers=API_AUTH)

    assert response.status_code == 404
    assert response.json() == {
        "code": 404,
        "key": "not_found",
        "message": "Resource not found",
        "details": "Cannot find metadata_schema with id order",
    }
