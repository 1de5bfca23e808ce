"""The alerts admin: Integration staff set a client's channel and see its signing secret once;
a test alert is sent from the channel's page; the dashboard shows the active alerts."""

import re
from datetime import timedelta

import pytest
import requests
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from core.groups import INTEGRATION_STAFF, SUPPORT
from events.console.alert_channels import alert_channel_save
from events.models import Alert, AlertChannel
from tests.connectors.factories import ClientFactory, ConnectorFactory

pytestmark = pytest.mark.django_db


def _login(client, group: str):
    user = get_user_model().objects.create_user(group.replace(" ", "-").lower(), password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    client.force_login(user)


def test_staff_add_a_channel_and_see_its_secret_once(client):
    _login(client, INTEGRATION_STAFF)
    retailer = ClientFactory()

    added = client.post(
        reverse("admin:events_alertchannel_add"),
        {"client": retailer.pk, "emails": "ops@retailer.example", "webhook_url": "https://hooks.example.com/ee",
         "active": "on"},
        follow=True,
    )
    reloaded = client.get(reverse("admin:events_alertchannel_change", args=[AlertChannel.objects.get().pk]))

    secret = re.compile(r"whsec_[A-Za-z0-9+/=]{32}")
    assert len(set(secret.findall(added.content.decode()))) == 1
    assert secret.findall(reloaded.content.decode()) == []


def test_a_private_webhook_address_is_refused_next_to_its_field(client):
    _login(client, INTEGRATION_STAFF)

    response = client.post(
        reverse("admin:events_alertchannel_add"),
        {"client": ClientFactory().pk, "emails": "", "webhook_url": "https://169.254.169.254/latest", "active": "on"},
    )

    assert response.context["adminform"].form.errors == {
        "webhook_url": ["Destination address 169.254.169.254 is link-local; refused."]
    }
    assert AlertChannel.objects.count() == 0


def test_support_may_read_channels_but_not_add_one(client):
    _login(client, SUPPORT)

    assert client.get(reverse("admin:events_alertchannel_changelist")).status_code == 200
    assert client.get(reverse("admin:events_alertchannel_add")).status_code == 403


def test_the_test_button_sends_a_signed_message_to_the_webhook(client, monkeypatch):
    sent = []

    def http_send(prepared, *, body_limit):
        sent.append(prepared)
        response = requests.Response()
        response.status_code, response._content = 200, b""
        return response

    monkeypatch.setattr("events.console.alert_channels.http_send", http_send)
    _login(client, INTEGRATION_STAFF)
    channel, _ = alert_channel_save(client=ClientFactory(), emails="", webhook_url="https://hooks.example.com/ee")

    response = client.post(reverse("admin:events_alertchannel_test", args=[channel.pk]), follow=True)

    assert [m.message for m in response.context["messages"]] == ["No email address. Webhook: Delivered: HTTP 200"]
    assert [request.headers["webhook-id"].startswith("alert_test_") for request in sent] == [True]
    assert Alert.objects.count() == 0  # a test is not an alert


def test_the_dashboard_shows_active_alerts_to_support(client):
    _login(client, SUPPORT)
    connector = ConnectorFactory()
    now = timezone.now()
    Alert.objects.create(
        key="circuit_open:x:now", condition="circuit_open", client=connector.client, connector=connector,
        window_start=now - timedelta(minutes=1), window_end=now + timedelta(minutes=59),
        title="Shop: requests to segment stopped (circuit open)", raised_at=now, notified_at=now,
        email_result="Sent to ops@retailer.example",
    )

    page = client.get(reverse("admin:events_connectorhealth_dashboard")).content.decode()

    assert "Active alerts (1)" in page
    assert "Shop: requests to segment stopped (circuit open)" in page
    assert "Sent to ops@retailer.example" in page
