"""Alerts: each condition raises one alert and one message per window; the webhook's signature
verifies as Standard Webhooks say; channels refuse what a destination may not be."""

import base64
import hashlib
import hmac
import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest
import requests

from core.crypto import secrets_decrypt
from events.console.alert_channels import AlertChannelInvalid, alert_channel_save, alerts_notify
from events.console.alerts import alerts_active, alerts_evaluate, alerts_reconcile
from events.models import Alert, AlertChannel, Delivery, DeliveryRollup, DestinationCircuit, Event
from tests.connectors.factories import ConnectorFactory
from tests.events.factories import DeliveryFactory, EventFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 30, 10, 30, tzinfo=UTC)  # in the window 10:00 to 11:00 (60-minute windows)


@pytest.fixture(autouse=True)
def _alert_settings(settings):
    settings.ALERT_WINDOW_MINUTES = 60
    settings.ALERT_FAILURE_RATE = 0.25
    settings.ALERT_FAILURE_MIN_DELIVERIES = 10
    settings.ALERT_EMAILS = []
    settings.RECONCILE_DELAY_MINUTES = 10
    settings.PUBLIC_BASE_URL = "https://connect.example.com"


class Sent:
    """http_send replaced: records each request and answers ``status``."""

    def __init__(self, status: int = 200, body: bytes = b""):
        self.requests, self.status, self.body = [], status, body

    def __call__(self, prepared, *, body_limit):
        self.requests.append(prepared)
        response = requests.Response()
        response.status_code, response._content = self.status, self.body[:body_limit]
        return response


@pytest.fixture
def webhook(monkeypatch):
    sent = Sent()
    monkeypatch.setattr("events.console.alert_channels.http_send", sent)
    return sent


@pytest.fixture
def live_receiver():
    """A webhook receiver on 127.0.0.1 (allowed while the sandbox is on, as in these tests): it
    records each POST's headers and body and answers 204."""
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(({key.lower(): value for key, value in self.headers.items()}, body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield SimpleNamespace(url=f"http://127.0.0.1:{server.server_port}/alerts", received=received)
    server.shutdown()
    server.server_close()


def _failed(connector, at: datetime, error: str = "HTTP 401: invalid write key") -> Delivery:
    delivery = DeliveryFactory(
        event__connector=connector, status=Delivery.Status.FAILED, last_status_code=401, last_error=error
    )
    Delivery.objects.filter(pk=delivery.pk).update(updated_at=at)  # updated_at is auto_now
    return delivery


def _expected_signature(secret: str, request) -> str:
    # Standard Webhooks: base64 HMAC-SHA256, keyed with the secret's bytes after "whsec_", of "id.timestamp.body".
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{request.headers['webhook-id']}.{request.headers['webhook-timestamp']}.".encode() + request.body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def test_a_failure_rate_over_the_threshold_raises_one_alert_and_one_email_per_window(mailoutbox):
    connector = ConnectorFactory(name="Shop")
    alert_channel_save(client=connector.client, emails="ops@retailer.example", webhook_url="")
    # 4 failed of 10 ended = 40 % ≥ 25 %, with the 10 ended the threshold needs.
    DeliveryRollup.objects.create(connector=connector, bucket_start=NOW - timedelta(minutes=20), delivered=6,
                                  failed=4, computed_at=NOW)
    # 2 of 20 = 10 %: under the threshold. 3 of 5 = 60 % but only 5 ended: too few to judge.
    quiet = ConnectorFactory(client=connector.client)
    DeliveryRollup.objects.create(connector=quiet, bucket_start=NOW - timedelta(minutes=20), delivered=18, failed=2,
                                  computed_at=NOW)
    few = ConnectorFactory(client=connector.client)
    DeliveryRollup.objects.create(connector=few, bucket_start=NOW - timedelta(minutes=20), delivered=2, failed=3,
                                  computed_at=NOW)

    first = alerts_evaluate(now=NOW)
    second = alerts_evaluate(now=NOW + timedelta(minutes=15))

    alert = Alert.objects.get()
    assert (first.notified, second.raised, second.notified) == (1, [], 0)
    assert (alert.condition, alert.connector, alert.figures) == (
        "failure_rate", connector, {"failed": 4, "delivered": 6, "rate": 0.4}
    )
    assert alert.title == f"{connector}: 4 of 10 deliveries failed (40%) in the last 60 minutes"
    assert (alert.window_start, alert.window_end) == (NOW.replace(minute=0), NOW.replace(minute=0) + timedelta(hours=1))
    assert [(m.subject, m.to) for m in mailoutbox] == [(f"[EE Connect] {alert.title}", ["ops@retailer.example"])]
    assert f"https://connect.example.com/admin/events/delivery/?connector={connector.pk}&status=failed" in (
        mailoutbox[0].body
    )
    assert alert.email_result == "Sent to ops@retailer.example"


def test_a_failure_rate_still_over_in_the_next_window_raises_one_reminder():
    connector = ConnectorFactory()
    DeliveryRollup.objects.create(connector=connector, bucket_start=NOW + timedelta(minutes=10), delivered=0,
                                  failed=10, computed_at=NOW)
    alerts_evaluate(now=NOW + timedelta(minutes=12))

    # 11:05: the 10:40 bucket is still within the last hour, and this is a new window.
    later = alerts_evaluate(now=NOW + timedelta(minutes=35))

    assert [a.window_start.hour for a in Alert.objects.order_by("raised_at")] == [10, 11]
    assert len(later.raised) == 1


def test_deliveries_failed_raise_one_alert_per_connector_and_window_with_the_last_error(mailoutbox, settings):
    settings.ALERT_EMAILS = ["oncall@platform.example"]
    connector = ConnectorFactory()
    _failed(connector, NOW - timedelta(minutes=10), error="HTTP 400: bad request")
    last = _failed(connector, NOW - timedelta(minutes=5))

    alerts_evaluate(now=NOW)
    _failed(connector, NOW + timedelta(minutes=1))  # a third, in the same window: no new message
    again = alerts_evaluate(now=NOW + timedelta(minutes=2))

    alert = Alert.objects.get()
    assert again.raised == []
    assert (alert.condition, alert.title) == (
        "deliveries_failed", f"{connector}: 2 deliveries failed after their last attempt"
    )
    assert alert.detail == (
        f"Between 10:00 and 10:30 UTC. The last one (delivery {last.pk} to segment) said: HTTP 401: invalid write key"
    )
    assert (alert.figures["failed"], alert.figures["last_delivery_id"]) == (2, last.pk)
    # No channel for the client: the operators' address alone.
    assert [m.to for m in mailoutbox] == [["oncall@platform.example"]]


def test_a_delivery_failed_just_before_a_window_ends_is_alerted_in_the_next_run():
    connector = ConnectorFactory()
    _failed(connector, NOW.replace(minute=59, second=50))

    evaluation = alerts_evaluate(now=NOW.replace(minute=0) + timedelta(hours=1, seconds=10))

    assert [(a.condition, a.window_start) for a in evaluation.raised] == [("deliveries_failed", NOW.replace(minute=0))]


def test_an_open_circuit_raises_one_alert_whose_webhook_signature_verifies(webhook):
    connector = ConnectorFactory()
    _, secret = alert_channel_save(client=connector.client, emails="", webhook_url="https://hooks.example.com/ee")
    DestinationCircuit.objects.create(
        connector=connector, destination="segment", state=DestinationCircuit.State.OPEN, consecutive_failures=5,
        last_failure="HTTP 503", opened_at=NOW - timedelta(minutes=2), probe_at=NOW + timedelta(minutes=1),
    )
    DestinationCircuit.objects.create(connector=ConnectorFactory(), destination="segment")  # closed: no alert

    alerts_evaluate(now=NOW)
    alerts_evaluate(now=NOW + timedelta(minutes=1))

    alert = Alert.objects.get()
    [request] = webhook.requests
    body = json.loads(request.body)
    assert (request.method, request.url) == ("POST", "https://hooks.example.com/ee")
    assert request.headers["webhook-id"] == f"alert_{alert.pk}"
    assert request.headers["webhook-timestamp"] == str(int(NOW.timestamp()))
    assert request.headers["webhook-signature"] == _expected_signature(secret, request)
    assert (body["type"], body["data"]["title"], body["data"]["connector"]) == (
        "alert.circuit_open", f"{connector}: requests to segment stopped (circuit open)", str(connector.public_id)
    )
    assert body["data"]["console_url"] == f"https://connect.example.com/admin/events/connectorhealth/{connector.pk}/change/"
    assert (alert.webhook_result, alert.email_result) == ("Delivered: HTTP 200", "")


def test_orphans_found_by_reconciliation_raise_one_alert_per_client_and_window(mailoutbox):
    connector = ConnectorFactory()
    alert_channel_save(client=connector.client, emails="ops@retailer.example", webhook_url="")
    # Received at 10:00, inside the reconciled hour 09:20 to 10:20, and never translated.
    orphan = EventFactory(connector=connector, status=Event.Status.ACCEPTED, received_at=NOW - timedelta(minutes=30))
    # Received at 10:25, after the reconciled hour: too recent to be taken for an orphan.
    EventFactory(connector=connector, status=Event.Status.ACCEPTED, received_at=NOW - timedelta(minutes=5))

    report, raised = alerts_reconcile(now=NOW)
    _, again = alerts_reconcile(now=NOW + timedelta(minutes=10))
    alerts_notify(now=NOW)

    assert (report.orphan_count, again) == (1, [])
    [alert] = raised
    assert (alert.condition, alert.client, alert.connector) == ("orphans", connector.client, None)
    assert alert.figures["orphans"] == [{"kind": "event", "id": orphan.pk, "reason": "Accepted but never translated"}]
    assert [m.subject for m in mailoutbox] == [
        f"[EE Connect] {connector.client}: 1 events or deliveries nobody will settle"
    ]


def test_a_webhook_that_refuses_is_recorded_and_not_sent_again(monkeypatch):
    refusing = Sent(status=500, body=b"upstream down")
    monkeypatch.setattr("events.console.alert_channels.http_send", refusing)
    connector = ConnectorFactory()
    alert_channel_save(client=connector.client, emails="", webhook_url="https://hooks.example.com/ee")
    _failed(connector, NOW - timedelta(minutes=1))

    alerts_evaluate(now=NOW)
    alerts_evaluate(now=NOW + timedelta(minutes=1))

    assert len(refusing.requests) == 1
    assert Alert.objects.get().webhook_result == "Refused: HTTP 500 upstream down"


def test_a_webhook_to_an_address_refused_at_sending_time_is_not_sent(settings):
    connector = ConnectorFactory()
    alert_channel_save(client=connector.client, emails="", webhook_url="http://127.0.0.1:9/hook")
    settings.OUTBOUND_ALLOW_LOOPBACK = False  # as in production: the name now resolves to loopback
    _failed(connector, NOW - timedelta(minutes=1))

    alerts_evaluate(now=NOW)

    assert Alert.objects.get().webhook_result == (
        "Not sent: AddressRefused: Destination address 127.0.0.1 is loopback; refused."
    )


def test_a_webhook_reaches_a_real_server_with_a_signature_that_verifies(live_receiver):
    connector = ConnectorFactory()
    _, secret = alert_channel_save(client=connector.client, emails="", webhook_url=live_receiver.url)
    _failed(connector, NOW - timedelta(minutes=1))

    alerts_evaluate(now=NOW)

    [(headers, body)] = live_receiver.received
    assert headers["webhook-signature"] == _expected_signature(secret, SimpleNamespace(headers=headers, body=body))
    assert json.loads(body)["type"] == "alert.deliveries_failed"
    assert Alert.objects.get().webhook_result == "Delivered: HTTP 204"


def test_a_channel_refuses_a_private_webhook_address_and_a_bad_email_naming_both():
    connector = ConnectorFactory()

    with pytest.raises(AlertChannelInvalid) as refused:
        alert_channel_save(client=connector.client, emails="ops@retailer.example\nnot-an-address",
                           webhook_url="https://10.0.0.5/hook")

    assert refused.value.errors == {
        "emails": "'not-an-address' is not an email address.",
        "webhook_url": "Destination address 10.0.0.5 is private; refused.",
    }
    assert AlertChannel.objects.count() == 0


def test_a_channel_refuses_plain_http_outside_the_sandbox_loopback():
    with pytest.raises(AlertChannelInvalid) as refused:
        alert_channel_save(client=ConnectorFactory().client, emails="", webhook_url="http://hooks.example.com/ee")

    assert refused.value.errors == {
        "webhook_url": "Must use https:// (http:// is allowed only for 127.0.0.1 while the sandbox is enabled)."
    }


def test_the_signing_secret_is_made_once_kept_encrypted_and_remade_on_request():
    client = ConnectorFactory().client

    channel, secret = alert_channel_save(client=client, emails="", webhook_url="https://hooks.example.com/a")
    _, unchanged = alert_channel_save(client=client, emails="", webhook_url="https://hooks.example.com/b")
    _, remade = alert_channel_save(client=client, emails="", webhook_url="https://hooks.example.com/b", new_secret=True)

    channel.refresh_from_db()
    # whsec_ + base64 of 24 random bytes (32 characters).
    assert (len(secret), secret.startswith("whsec_"), unchanged) == (38, True, "")
    assert remade not in ("", secret)
    assert secret not in channel.webhook_secret_encrypted
    assert secrets_decrypt(channel.webhook_secret_encrypted) == {"webhook_secret": remade}


def test_active_alerts_are_those_of_this_window_and_the_one_before():
    connector = ConnectorFactory()
    for hours_ago in (0, 1, 2):
        start = NOW.replace(minute=0) - timedelta(hours=hours_ago)
        Alert.objects.create(
            key=f"deliveries_failed:connector-{connector.pk}:{start:%H}", condition="deliveries_failed",
            client=connector.client, connector=connector, window_start=start, window_end=start + timedelta(hours=1),
            title=f"{hours_ago} windows ago", raised_at=start + timedelta(minutes=1),
        )

    assert [alert.title for alert in alerts_active(now=NOW)] == ["0 windows ago", "1 windows ago"]


def test_the_beat_schedule_evaluates_alerts_every_minute_and_reconciles_every_ten():
    from config.celery import _beat_schedule

    schedule = _beat_schedule()

    assert (schedule["alerts-evaluate"], schedule["events-reconcile"]) == (
        {"task": "events.alerts_evaluate", "schedule": 60.0},
        {"task": "events.reconcile_recent", "schedule": 600.0},
    )
