"""The AIR connector's page warns that Segment triggers need a wallet transaction reference."""

import pytest
from django.urls import reverse

from core.groups import INTEGRATION_STAFF, SUPPORT
from tests.connectors.factories import ConnectorFactory, UserFactory

pytestmark = pytest.mark.django_db
WARNING = "Segment → AIR rewards: map a wallet transaction reference."


def _page(client, group, connector) -> str:
    client.force_login(UserFactory(group=group))
    response = client.get(reverse("admin:connectors_connector_change", args=[connector.pk]))
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("group", [INTEGRATION_STAFF, SUPPORT])
def test_an_air_connectors_page_warns_and_says_how_to_map_message_id(client, group):
    html = _page(client, group, ConnectorFactory())

    assert html.count(WARNING) == 1
    assert "a Segment retry of\n        the same event (after a timeout, say) can reward the customer twice" in html
    assert "<em>Wallet Transaction Reference</em> to the event's <code>messageId</code>" in html
    assert "optionally with a fixed prefix or suffix" in html


def test_another_kinds_page_does_not(client):
    html = _page(client, INTEGRATION_STAFF, ConnectorFactory(kind="segment_everflow", settings={}, secrets={}))

    assert WARNING not in html


def test_the_repeat_window_setting_says_when_to_use_it_and_is_off_by_default(client):
    html = _page(client, INTEGRATION_STAFF, ConnectorFactory())

    assert "Count the same identity and triggers once within (seconds)" in html
    assert "typically an audience whose Eagle Eye destination has both Identify and Track enabled" in html
    assert 'name="trigger_dedupe_window_seconds" value="0"' in html
