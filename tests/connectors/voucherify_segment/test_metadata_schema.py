"""The customer metadata schema is read from Voucherify (GET /v1/metadata-schemas/customer), kept on
the connector, shown on its admin page and read again with a button; the hand-entered schema
overrides it key by key."""

import json

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from connectors.kinds.base import ConnectorConfig, Direction
from connectors.kinds.voucherify_segment import KIND, schema
from connectors.kinds.voucherify_segment.metadata import (
    SchemaUnavailable,
    voucherify_schema_read,
    voucherify_schema_request,
)
from connectors.sandbox.voucherify import CUSTOMER_METADATA_SCHEMA
from connectors.services import connector_config, voucherify_metadata_schema_refresh
from core.crypto import secrets_encrypt
from core.groups import INTEGRATION_STAFF, SUPPORT
from tests.connectors.factories import ConnectorFactory, UserFactory

API = "http://127.0.0.1:8000/sandbox/voucherify"
SETTINGS = {"voucherify_api_url": API, "voucherify_app_id": "sandbox-app-id", "segment_region": "US"}
SECRETS = {"voucherify_app_token": "sandbox-app-token", "voucherify_webhook_secret": "s", "segment_write_key": "k"}
# The sandbox project's definitions, legacy_segment left out because Voucherify marks it deleted.
SANDBOX_SCHEMA = {
    "tier": "string",
    "vip": "boolean",
    "visits": "number",
    "tags": "string[]",
    "joined": "date",
    "last_order_at": "datetime",
    "plan": "string",
    "home": "geopoint",
}


def _connector(**settings):
    return ConnectorFactory(
        kind="voucherify_segment", name="Voucherify", settings={**SETTINGS, **settings}, secrets=SECRETS
    )


def _through_sandbox(prepared):
    """Send the prepared GET to the sandbox served in-process, as the HTTP client would."""
    response = HttpClient().get(prepared.url.removeprefix("http://127.0.0.1:8000"), headers=prepared.headers)
    return response.status_code, response.content


def test_the_request_url_drops_the_api_urls_trailing_slashes_only():
    settings = {**SETTINGS, "voucherify_api_url": "https://eu1.api.voucherify.io//"}
    config = ConnectorConfig(connector_id="x", settings=settings, secrets=SECRETS)

    assert voucherify_schema_request(config).url == "https://eu1.api.voucherify.io/v1/metadata-schemas/customer"


def test_the_request_is_the_get_metadata_schema_operation_with_the_api_keys():
    config = ConnectorConfig(connector_id="x", settings=SETTINGS, secrets=SECRETS)

    prepared = voucherify_schema_request(config)

    assert (prepared.method, prepared.url, prepared.body) == ("GET", f"{API}/v1/metadata-schemas/customer", b"")
    assert prepared.headers == {
        "Accept": "application/json",
        "X-App-Id": "sandbox-app-id",
        "X-App-Token": "sandbox-app-token",
    }


def test_the_answer_becomes_key_to_type_with_arrays_marked_and_deleted_definitions_left_out():
    assert voucherify_schema_read(200, json.dumps(CUSTOMER_METADATA_SCHEMA).encode()) == SANDBOX_SCHEMA


def test_a_definition_that_is_not_an_object_or_has_no_type_is_passed_over():
    # given Voucherify's answer with one usable definition beside malformed ones
    properties = {"tier": {"type": "string"}, "plain": "string", "listed": ["number"], "untyped": {"array": True}}
    body = json.dumps({"id": "ms_1", "properties": properties}).encode()

    # then only the usable one is kept: nothing is guessed from the others
    assert voucherify_schema_read(200, body) == {"tier": "string"}


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (
            401,
            b'{"code":401,"message":"Unauthorized"}',
            "Voucherify refused the application id or secret key (HTTP 401); check them and the API endpoint.",
        ),
        (
            404,
            b'{"code":404,"key":"not_found","message":"Resource not found"}',
            "Voucherify has no customer metadata schema for this project (HTTP 404): define the customer "
            "metadata in Project Settings → Metadata Schema.",
        ),
        (
            500,
            b'{"code":500,"message":"Internal Server Error"}',
            "Voucherify did not return the customer metadata schema (HTTP 500): Internal Server Error",
        ),
        (200, b"<html>", "Voucherify did not return the customer metadata schema (HTTP 200)."),
        (200, b'{"properties": []}', "Voucherify did not return the customer metadata schema (HTTP 200)."),
    ],
)
def test_an_answer_without_a_schema_says_why(status, body, message):
    with pytest.raises(SchemaUnavailable) as unavailable:
        voucherify_schema_read(status, body)

    assert str(unavailable.value) == message


@pytest.mark.django_db
def test_refresh_keeps_the_schema_on_the_connector_and_translation_uses_it():
    connector = _connector(metadata_schema={"visits": "string"})

    kept = voucherify_metadata_schema_refresh(connector=connector, send=_through_sandbox)

    connector.refresh_from_db()
    assert connector.settings["voucherify_metadata_schema"] == kept
    assert kept["properties"] == SANDBOX_SCHEMA
    assert kept["read_at"].endswith("+00:00")
    config = connector_config(connector)
    message = {"type": "identify", "userId": "u1", "traits": {"metadata": {"plan": "pro", "visits": 3, "x": 1}}}
    [event] = KIND.parse(Direction.IN, message, config)
    [request] = KIND.build(Direction.IN, event, [], config).requests
    # plan is defined in Voucherify; the override makes visits a string, so 3 is left out.
    assert request.body["metadata"] == {"plan": "pro"}
    assert request.notes == (
        "Not sent: metadata.visits (expected string, got number); metadata.x (not in the metadata schema)."
    )


@pytest.mark.django_db
def test_a_failed_refresh_changes_nothing():
    connector = _connector(voucherify_metadata_schema={"read_at": "2024-01-01T00:00:00+00:00", "properties": {}})
    connector.secrets_encrypted = secrets_encrypt({**SECRETS, "voucherify_app_token": "wrong"})
    connector.save()
    before = dict(connector.settings)

    with pytest.raises(SchemaUnavailable):
        voucherify_metadata_schema_refresh(connector=connector, send=_through_sandbox)

    connector.refresh_from_db()
    assert connector.settings == before


@pytest.mark.django_db
def test_an_unreachable_voucherify_is_said_in_words():
    connector = _connector(voucherify_api_url="http://127.0.0.1:9/v")

    with pytest.raises(SchemaUnavailable) as unavailable:
        voucherify_metadata_schema_refresh(connector=connector)

    assert str(unavailable.value).startswith("Voucherify could not be reached at http://127.0.0.1:9/v/v1/metadata-")


@pytest.mark.django_db
def test_the_admin_page_shows_the_schema_and_its_button_reads_it_again(client, monkeypatch):
    monkeypatch.setattr(schema, "voucherify_schema_send", _through_sandbox)
    connector = _connector()
    client.force_login(UserFactory(group=INTEGRATION_STAFF))
    page = reverse("admin:connectors_connector_change", args=[connector.pk])
    button = reverse("admin:connectors_connector_voucherify_schema", args=[connector.pk])

    before = client.get(page).content.decode()
    response = client.post(button, follow=True)

    assert "Not read from Voucherify yet" in before
    assert f'formaction="{button}"' in before
    assert response.redirect_chain == [(page, 302)]
    html = response.content.decode()
    assert "Customer metadata schema read from Voucherify: tier (string), vip (boolean)" in html
    assert "<code>tags</code> (string[])" in html
    connector.refresh_from_db()
    assert connector.settings["voucherify_metadata_schema"]["properties"] == SANDBOX_SCHEMA


@pytest.mark.django_db
def test_support_sees_no_button_and_cannot_read_the_schema(client):
    connector = _connector()
    client.force_login(UserFactory(group=SUPPORT))

    page = client.get(reverse("admin:connectors_connector_change", args=[connector.pk])).content.decode()
    response = client.post(reverse("admin:connectors_connector_voucherify_schema", args=[connector.pk]))

    assert "Read the metadata schema from Voucherify" not in page
    assert response.status_code == 403
    connector.refresh_from_db()
    assert "voucherify_metadata_schema" not in connector.settings


@pytest.mark.django_db
def test_the_button_is_only_for_voucherify_connectors(client):
    air = ConnectorFactory()
    client.force_login(UserFactory(group=INTEGRATION_STAFF))

    response = client.post(reverse("admin:connectors_connector_voucherify_schema", args=[air.pk]))

    assert response.status_code == 404
