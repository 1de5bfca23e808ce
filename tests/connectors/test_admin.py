import re

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from connectors.crypto import secrets_decrypt
from connectors.groups import INTEGRATION_STAFF, SUPPORT
from connectors.models import AuthToken, Connector
from tests.connectors.factories import AIR_SECRETS, AIR_SETTINGS, ClientFactory, ConnectorFactory, UserFactory

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:connectors_connector_add")


def _change_url(connector):
    return reverse("admin:connectors_connector_change", args=[connector.pk])


def _air_form(client, **overrides):
    data = {
        "client": client.pk,
        "name": "AIR UAT",
        "environment": "UAT",
        **{key: value for key, value in AIR_SETTINGS.items() if not isinstance(value, bool)},
        **{key: "on" for key, value in AIR_SETTINGS.items() if value is True},
        "air_client_secret": "s3cret-air-value",
        "segment_write_key": "wk-secret-value",
        "tokens-TOTAL_FORMS": "0",
        "tokens-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(group=INTEGRATION_STAFF))
    return client


@pytest.fixture
def support_client(client):
    client.force_login(UserFactory(group=SUPPORT))
    return client


def test_add_without_kind_shows_the_kind_picker(staff_client):
    response = staff_client.get(ADD_URL, {"client": "7"})

    assert response.status_code == 200
    assert response.templates[0].name == "admin/connectors/connector/kind_pick.html"
    html = response.content.decode()
    assert "Eagle Eye AIR ⇄ Segment" in html
    assert "?client=7&amp;kind=air_segment" in html


def test_add_form_renders_the_kinds_fields_not_a_json_box(staff_client):
    response = staff_client.get(ADD_URL, {"kind": "air_segment"})

    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="air_client_secret" autocomplete="new-password"' in html or re.search(
        r'<input type="password" name="air_client_secret"', html
    )
    assert re.search(r'<input type="checkbox" name="send_identify"[^>]*checked', html)
    assert re.search(r'<select name="segment_region"', html)
    assert 'name="settings"' not in html
    assert "AIR wallet domain URL" in html


def test_staff_adds_a_connector_with_encrypted_secrets(staff_client):
    owner = ClientFactory()

    response = staff_client.post(f"{ADD_URL}?kind=air_segment", _air_form(owner))

    assert response.status_code == 302, response.content.decode()[:3000]
    connector = Connector.objects.get()
    assert connector.kind == "air_segment"
    assert connector.client == owner
    assert connector.settings["currency"] == "GBP"
    assert "s3cret-air-value" not in connector.secrets_encrypted
    assert secrets_decrypt(connector.secrets_encrypted) == {
        "air_client_secret": "s3cret-air-value",
        "segment_write_key": "wk-secret-value",
    }
    assert connector.created_by is not None
