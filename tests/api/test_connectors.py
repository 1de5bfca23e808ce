"""Clients, connectors and tokens through the Config API: the admin's rules, secrets write-only."""

import json

import pytest

from connectors.kinds.registry import kinds as registered_kinds
from connectors.models import AuthToken, Client, Connector
from connectors.tokens import token_hash, token_verify
from core.crypto import secrets_decrypt
from events.models import Delivery
from tests.connectors.factories import AIR_SECRETS, AIR_SETTINGS, ClientFactory, ConnectorFactory
from tests.events.factories import DeliveryFactory

pytestmark = pytest.mark.django_db

CONNECTORS = "/api/v1/connectors/"


def air_connector_body(client_id: int, **changes) -> dict:
    return {
        "client": client_id,
        "kind": "air_segment",
        "name": "AIR to Segment",
        "environment": "UAT",
        "settings": dict(AIR_SETTINGS),
        "secrets": dict(AIR_SECRETS),
        **changes,
    }


def test_a_client_is_created_and_read_back(staff_api):
    response = staff_api.post("/api/v1/clients/", {"name": "Retailer", "slug": "retailer"}, format="json")

    assert response.status_code == 201
    client = Client.objects.get()
    assert response.json()["id"] == client.pk
    assert (client.name, client.slug, client.active) == ("Retailer", "retailer", True)
    assert staff_api.get(f"/api/v1/clients/{client.pk}/").json()["slug"] == "retailer"


def test_a_client_slug_already_taken_is_refused_naming_the_field(staff_api):
    ClientFactory(slug="retailer")

    response = staff_api.post("/api/v1/clients/", {"name": "Another", "slug": "retailer"}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "message": "The request is invalid: see errors.",
        "errors": [{"path": "slug", "message": "client with this slug already exists."}],
    }
    assert Client.objects.count() == 1


def test_an_air_connector_is_created_with_its_secrets_stored_encrypted_and_never_answered(staff_api):
    client = ClientFactory()

    response = staff_api.post(CONNECTORS, air_connector_body(client.pk), format="json")

    assert response.status_code == 201
    connector = Connector.objects.get()
    body = response.json()
    assert body["id"] == connector.pk
    assert body["public_id"] == str(connector.public_id)
    assert body["settings"] == connector.settings
    # The service fills in the one setting left out with the kind's default, as in the admin.
    assert connector.settings == {**AIR_SETTINGS, "trigger_dedupe_window_seconds": 0}
    assert body["urls"] == {
        "in": f"http://127.0.0.1:8000/in/segment/{connector.public_id}",
        "out": f"http://127.0.0.1:8000/out/segment/{connector.public_id}",
    }
    assert secrets_decrypt(connector.secrets_encrypted) == AIR_SECRETS
    for secret in AIR_SECRETS.values():
        assert secret not in response.content.decode()
    assert "secrets" not in body
    assert connector.created_by.username == "integrator"


def test_settings_refused_by_the_service_name_each_field_under_settings_or_secrets(staff_api):
    client = ClientFactory()
    settings = {**AIR_SETTINGS, "currency": "XYZ", "colour": "blue"}
    body = air_connector_body(client.pk, settings=settings, secrets={"segment_write_key": "k"})

    response = staff_api.post(CONNECTORS, body, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "message": "The request is invalid: see errors.",
        "errors": [
            {"path": "settings.colour", "message": "Unknown setting for Eagle Eye AIR ⇄ Segment connectors."},
            {
                "path": "settings.currency",
                "message": "'XYZ' is not an ISO 4217 currency code (three letters, such as USD or GBP).",
            },
            {"path": "secrets.air_client_secret", "message": "AIR client secret is required."},
        ],
    }
    assert not Connector.objects.exists()


def test_an_unknown_kind_and_client_are_refused_before_the_service(staff_api):
    response = staff_api.post(CONNECTORS, air_connector_body(999, kind="fax"), format="json")

    assert response.status_code == 400
    assert [error["path"] for error in response.json()["errors"]] == ["client", "kind"]
    assert not Connector.objects.exists()


def test_a_patch_changes_the_settings_given_and_keeps_the_others_and_the_secrets(staff_api):
    connector = ConnectorFactory()

    response = staff_api.patch(
        f"{CONNECTORS}{connector.pk}/", {"settings": {"currency": "usd"}, "max_attempts": 3}, format="json"
    )

    assert response.status_code == 200
    connector.refresh_from_db()
    # Upper-cased by the kind's validation, as the admin saves it; the setting the factory left
    # out is saved with its default.
    assert connector.settings == {**AIR_SETTINGS, "currency": "USD", "trigger_dedupe_window_seconds": 0}
    assert connector.max_attempts == 3
    assert secrets_decrypt(connector.secrets_encrypted) == AIR_SECRETS


def test_a_patch_replaces_a_secret_without_answering_it(staff_api):
    connector = ConnectorFactory()

    response = staff_api.patch(
        f"{CONNECTORS}{connector.pk}/", {"secrets": {"segment_write_key": "new-write-key"}}, format="json"
    )

    assert response.status_code == 200
    assert "new-write-key" not in response.content.decode()
    connector.refresh_from_db()
    assert secrets_decrypt(connector.secrets_encrypted) == {**AIR_SECRETS, "segment_write_key": "new-write-key"}


def test_a_refused_patch_changes_nothing(staff_api):
    connector = ConnectorFactory()
    before = (connector.name, connector.settings, connector.secrets_encrypted, connector.max_attempts)

    response = staff_api.patch(
        f"{CONNECTORS}{connector.pk}/",
        {"name": "Renamed", "settings": {"segment_region": "MARS"}, "max_attempts": 3},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["errors"] == [{"path": "settings.segment_region", "message": "Must be one of: US, EU."}]
    connector.refresh_from_db()
    assert (connector.name, connector.settings, connector.secrets_encrypted, connector.max_attempts) == before


def test_only_which_secrets_are_set_is_shown_and_only_to_those_allowed(staff_api, support_api):
    connector = ConnectorFactory(secrets={"air_client_secret": "s3cret", "segment_write_key": "wk"})

    staff = staff_api.get(f"{CONNECTORS}{connector.pk}/secrets/")
    support = support_api.get(f"{CONNECTORS}{connector.pk}/secrets/")

    assert staff.status_code == 200
    assert staff.json() == {"set": ["air_client_secret", "segment_write_key"], "unreadable": ""}
    assert support.status_code == 403
    assert support.json() == {"message": "You do not have permission to perform this action.", "errors": []}


def test_support_reads_connectors_without_secrets_and_cannot_change_settings(support_api):
    connector = ConnectorFactory()
    before = (connector.settings, connector.secrets_encrypted, connector.updated_at)

    listed = support_api.get(CONNECTORS)
    patched = support_api.patch(f"{CONNECTORS}{connector.pk}/", {"settings": {"currency": "USD"}}, format="json")
    created = support_api.post(CONNECTORS, air_connector_body(connector.client_id), format="json")
    disabled = support_api.post(f"{CONNECTORS}{connector.pk}/disable/")

    assert listed.status_code == 200
    assert [c["id"] for c in listed.json()] == [connector.pk]
    text = json.dumps(listed.json())
    assert all(secret not in text for secret in AIR_SECRETS.values())
    assert (patched.status_code, created.status_code, disabled.status_code) == (403, 403, 403)
    connector.refresh_from_db()
    assert (connector.settings, connector.secrets_encrypted, connector.updated_at) == before
    assert Connector.objects.count() == 1
    assert connector.state == Connector.State.ACTIVE


def test_disable_holds_the_due_deliveries_and_resume_releases_them(staff_api, support_api):
    delivery = DeliveryFactory()
    connector = delivery.connector

    disabled = staff_api.post(f"{CONNECTORS}{connector.pk}/disable/")
    held = Delivery.objects.get().status
    resumed = support_api.post(f"{CONNECTORS}{connector.pk}/resume/")

    assert disabled.json() == {"state": "disabled", "deliveries": 1}
    assert held == Delivery.Status.HELD
    assert resumed.json() == {"state": "active", "deliveries": 1}
    assert Delivery.objects.get().status == Delivery.Status.PENDING


def test_connectors_are_listed_by_client_kind_and_state(staff_api):
    first, second = ConnectorFactory(), ConnectorFactory(state=Connector.State.PAUSED)

    by_client = staff_api.get(CONNECTORS, {"client": second.client_id})
    by_state = staff_api.get(CONNECTORS, {"state": "paused", "kind": "air_segment"})
    bad = staff_api.get(CONNECTORS, {"state": "asleep"})

    assert [c["id"] for c in by_client.json()] == [second.pk]
    assert [c["id"] for c in by_state.json()] == [second.pk]
    assert first.pk != second.pk
    assert bad.status_code == 400
    assert bad.json()["errors"] == [{"path": "state", "message": '"asleep" is not a valid choice.'}]


def test_a_token_is_issued_shown_once_and_verified_by_the_webhook(staff_api):
    connector = ConnectorFactory()
    url = f"{CONNECTORS}{connector.pk}/tokens/"

    response = staff_api.post(url, {"direction": "out", "label": "AIR"}, format="json")

    assert response.status_code == 201
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    token = AuthToken.objects.get()
    assert body["token"].startswith("eec_out_")
    assert token.token_hash == token_hash(body["token"])
    assert (body["id"], body["prefix"], body["label"]) == (token.pk, body["token"][:16], "AIR")
    assert token_verify(connector=connector, direction="out", presented=body["token"]) == token
    listed = staff_api.get(url).json()
    assert [t["id"] for t in listed] == [token.pk]
    assert "token" not in listed[0]


def test_a_client_chosen_key_is_registered_and_a_guessable_one_refused(staff_api):
    connector = ConnectorFactory()
    url = f"{CONNECTORS}{connector.pk}/tokens/register/"
    key = "Qm7#vT2$wLp9!zRk4@xNc8&Hd"

    guessable = staff_api.post(url, {"direction": "in", "value": "password"}, format="json")
    registered = staff_api.post(url, {"direction": "in", "value": key}, format="json")

    assert guessable.status_code == 400
    assert guessable.json()["errors"] == [
        {"path": "value", "message": "A client's key must be at least 24 characters long; this one has 8."}
    ]
    assert registered.status_code == 201
    assert "token" not in registered.json()
    assert key not in registered.content.decode()
    token = AuthToken.objects.get()
    assert token_verify(connector=connector, direction="in", presented=key) == token


def test_a_token_is_revoked_and_the_webhook_refuses_it(staff_api):
    connector = ConnectorFactory()
    issued = staff_api.post(f"{CONNECTORS}{connector.pk}/tokens/", {"direction": "out"}, format="json").json()

    response = staff_api.post(f"{CONNECTORS}{connector.pk}/tokens/{issued['id']}/revoke/")

    assert response.status_code == 200
    assert response.json()["revoked_at"] is not None
    assert token_verify(connector=connector, direction="out", presented=issued["token"]) is None


def test_a_token_of_another_connector_is_not_found(staff_api):
    connector, other = ConnectorFactory(), ConnectorFactory()
    issued = staff_api.post(f"{CONNECTORS}{other.pk}/tokens/", {"direction": "out"}, format="json").json()

    response = staff_api.post(f"{CONNECTORS}{connector.pk}/tokens/{issued['id']}/revoke/")

    assert response.status_code == 404
    assert AuthToken.objects.get().revoked_at is None


def test_support_can_neither_issue_nor_list_tokens(support_api):
    connector = ConnectorFactory()

    issued = support_api.post(f"{CONNECTORS}{connector.pk}/tokens/", {"direction": "out"}, format="json")
    listed = support_api.get(f"{CONNECTORS}{connector.pk}/tokens/")

    assert (issued.status_code, listed.status_code) == (403, 403)
    assert not AuthToken.objects.exists()


def test_the_kinds_list_their_settings_and_secrets(staff_api):
    kinds = {kind["key"]: kind for kind in staff_api.get("/api/v1/kinds/").json()}

    assert list(kinds) == list(registered_kinds())  # every kind of the registry, in its order
    assert list(kinds)[:4] == ["air_segment", "voucherify_segment", "segment_everflow", "segment_perkville"]
    assert [field["key"] for field in kinds["air_segment"]["secrets"]] == ["air_client_secret", "segment_write_key"]


def test_a_one_way_kind_has_one_url_and_no_token_for_the_other_direction(staff_api):
    connector = ConnectorFactory(kind="segment_everflow", settings={}, secrets={})

    read = staff_api.get(f"{CONNECTORS}{connector.pk}/").json()
    refused = staff_api.post(f"{CONNECTORS}{connector.pk}/tokens/", {"direction": "out"}, format="json")

    assert read["urls"] == {"in": f"http://127.0.0.1:8000/in/segment/{connector.public_id}"}
    assert refused.status_code == 400
    assert refused.json()["errors"] == [
        {"path": "direction", "message": "Segment → Everflow connectors have a URL only for: in."}
    ]
    assert not AuthToken.objects.exists()
