import pytest
from django.core.exceptions import ValidationError

from connectors.kinds.validation import SettingsInvalid
from connectors.models import Client, Connector
from connectors.services import (
    client_create,
    connector_config,
    connector_create,
    connector_policy_set,
    connector_state_set,
    connector_update,
    connector_urls,
)
from core.crypto import secrets_decrypt
from events.models import Delivery
from tests.connectors.factories import AIR_SECRETS, AIR_SETTINGS, ClientFactory, ConnectorFactory, UserFactory
from tests.events.factories import DeliveryFactory

pytestmark = pytest.mark.django_db


def _create(client, **changes):
    settings = {**AIR_SETTINGS, **changes.pop("settings", {})}
    secrets = {**AIR_SECRETS, **changes.pop("secrets", {})}
    return connector_create(client=client, kind="air_segment", name="AIR", settings=settings, secrets=secrets)


def test_client_create_refuses_a_duplicate_slug():
    client_create(name="Retailer", slug="retailer")

    with pytest.raises(ValidationError) as caught:
        client_create(name="Another", slug="retailer")

    assert list(caught.value.message_dict) == ["slug"]
    assert Client.objects.count() == 1


def test_connector_create_stores_cleaned_settings_and_encrypted_secrets():
    owner = ClientFactory()

    connector = _create(owner, settings={"currency": "gbp"})

    connector.refresh_from_db()
    assert connector.settings["currency"] == "GBP"
    assert "sandbox-write-key" not in connector.secrets_encrypted
    assert secrets_decrypt(connector.secrets_encrypted) == AIR_SECRETS
    assert "segment_write_key" not in connector.settings


def test_currency_that_is_not_iso_4217_is_refused_naming_the_field():
    owner = ClientFactory()

    with pytest.raises(SettingsInvalid) as caught:
        _create(owner, settings={"currency": "US"})

    assert caught.value.errors == {
        "currency": "'US' is not an ISO 4217 currency code (three letters, such as USD or GBP)."
    }
    assert Connector.objects.count() == 0


def test_http_url_to_a_remote_host_is_refused_even_with_the_sandbox_on():
    owner = ClientFactory()

    with pytest.raises(SettingsInvalid) as caught:
        _create(owner, settings={"air_wallet_url": "http://wallet.example.com"})

    assert caught.value.errors == {
        "air_wallet_url": (
            "Must use https:// (http:// is allowed only for 127.0.0.1 while the sandbox is enabled)."
        )
    }
    assert Connector.objects.count() == 0


def test_http_loopback_url_is_refused_when_the_sandbox_is_off(settings):
    settings.SANDBOX_ENABLED = False
    owner = ClientFactory()

    with pytest.raises(SettingsInvalid) as caught:
        _create(owner, settings={"segment_base_url": "https://api.segment.io"})

    assert set(caught.value.errors) == {"air_wallet_url"}
    assert Connector.objects.count() == 0


def test_missing_write_key_is_refused():
    owner = ClientFactory()

    with pytest.raises(SettingsInvalid) as caught:
        connector_create(
            client=owner,
            kind="air_segment",
            name="AIR UAT",
            settings=AIR_SETTINGS,
            secrets={"air_client_secret": "x"},
        )

    assert caught.value.errors == {"segment_write_key": "Segment write key is required."}
    assert Connector.objects.count() == 0


def test_unknown_kind_is_refused_naming_the_kinds():
    with pytest.raises(SettingsInvalid) as caught:
        connector_create(client=ClientFactory(), kind="nope", name="x", settings={}, secrets={})

    assert list(caught.value.errors) == ["kind"]
    assert "air_segment" in caught.value.errors["kind"]
    assert Connector.objects.count() == 0


def test_update_with_a_blank_secret_keeps_the_stored_one():
    connector = ConnectorFactory()
    secrets = {"segment_write_key": "", "air_client_secret": "new-secret"}

    connector_update(connector=connector, secrets=secrets)

    connector.refresh_from_db()
    assert secrets_decrypt(connector.secrets_encrypted) == {
        "air_client_secret": "new-secret",
        "segment_write_key": "sandbox-write-key",
    }


def test_refused_update_leaves_the_row_as_it_was():
    connector = ConnectorFactory(name="Before")
    stored = Connector.objects.values().get(pk=connector.pk)

    with pytest.raises(SettingsInvalid):
        connector_update(
            connector=connector,
            name="After",
            settings={**AIR_SETTINGS, "segment_region": "APAC"},
            secrets={"segment_write_key": "rotated"},
        )

    assert Connector.objects.values().get(pk=connector.pk) == stored


def test_policy_set_stores_the_retry_maximum_and_rate():
    connector = ConnectorFactory()

    connector_policy_set(connector=connector, max_attempts=3, rate_limit_per_second=50)

    connector.refresh_from_db()
    assert (connector.max_attempts, connector.rate_limit_per_second) == (3, 50)


def test_state_set_changes_the_state_and_records_who():
    connector = ConnectorFactory()
    user = UserFactory()

    change = connector_state_set(connector=connector, state="paused", user=user)

    connector.refresh_from_db()
    assert connector.state == Connector.State.PAUSED
    assert connector.updated_by == user
    assert (change.previous, change.changed, change.held, change.released) == ("active", True, 0, 0)


def test_state_set_to_the_state_already_set_changes_nothing():
    connector = ConnectorFactory(state=Connector.State.DISABLED)
    before = connector.updated_at

    change = connector_state_set(connector=connector, state="disabled", user=UserFactory())

    connector.refresh_from_db()
    assert (change.previous, change.changed) == ("disabled", False)
    assert (connector.updated_at, connector.updated_by) == (before, None)


def test_state_set_refuses_an_unknown_state():
    connector = ConnectorFactory()
    due = DeliveryFactory(event__connector=connector)

    with pytest.raises(ValueError, match="Unknown state 'asleep'"):
        connector_state_set(connector=connector, state="asleep")

    connector.refresh_from_db()
    assert connector.state == Connector.State.ACTIVE
    assert Delivery.objects.get(pk=due.pk).status == Delivery.Status.PENDING


def test_connector_config_decrypts_secrets_and_reads_the_sandbox_flag(settings):
    settings.SANDBOX_ENABLED = False
    connector = ConnectorFactory()

    config = connector_config(connector)

    assert config.connector_id == str(connector.public_id)
    assert config.settings == AIR_SETTINGS
    assert config.secrets == AIR_SECRETS
    assert config.sandbox_enabled is False


def test_connector_urls_use_the_public_base_url(settings):
    settings.PUBLIC_BASE_URL = "https://connect.example.com"
    connector = ConnectorFactory()

    assert connector_urls(connector) == {
        "in": f"https://connect.example.com/in/segment/{connector.public_id}",
        "out": f"https://connect.example.com/out/segment/{connector.public_id}",
    }


@pytest.mark.parametrize("kind", ["segment_everflow", "segment_perkville"])
def test_a_one_way_kind_has_only_its_inbound_url(settings, kind):
    settings.PUBLIC_BASE_URL = "https://connect.example.com"
    connector = ConnectorFactory(kind=kind, settings={}, secrets={})

    assert connector_urls(connector) == {"in": f"https://connect.example.com/in/segment/{connector.public_id}"}
