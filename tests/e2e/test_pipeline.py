"""The pipeline end to end: a real web server, Celery worker, beat and the sandbox upstreams."""

import copy
import uuid

import pytest

from connectors.kinds.base import Direction
from connectors.kinds.registry import kind_get
from connectors.tokens import token_issue
from events.models import Delivery, DeliveryAttempt, Event
from tests.connectors.factories import AIR_SETTINGS, ConnectorFactory
from tests.e2e.harness import wait_until

pytestmark = pytest.mark.e2e

SAMPLES = kind_get("air_segment").samples


def air_notification(name: str = "SERVICE.WALLET.ACCOUNTS.CREATE") -> dict:
    sample = copy.deepcopy(SAMPLES[Direction.OUT][name])
    sample["headers"]["eesEventId"] = str(uuid.uuid4())
    return sample


def segment_trigger(reference: str | None = None) -> dict:
    body = copy.deepcopy(SAMPLES[Direction.IN]["services/trigger"])
    body["body"]["walletTransaction"] = {"reference": reference or f"msg-{uuid.uuid4()}"}
    return body


@pytest.fixture
def connector(live):
    settings = {
        **AIR_SETTINGS,
        "air_wallet_url": live.sandbox("air"),
        "segment_base_url": live.sandbox("segment"),
    }
    connector = ConnectorFactory(settings=settings)
    connector.tokens_plain = {
        direction: token_issue(connector=connector, direction=direction).plaintext for direction in ("in", "out")
    }
    return connector


def out_path(connector) -> str:
    return f"/out/segment/{connector.public_id}"


def in_path(connector) -> str:
    return f"/in/segment/{connector.public_id}"


def settled(event_id: str, timeout: float = 30.0) -> list[Delivery]:
    def done():
        deliveries = list(Delivery.objects.filter(event__public_id=event_id))
        finished = deliveries and all(d.status in Delivery.TERMINAL_STATUSES for d in deliveries)
        return deliveries if finished else None

    return wait_until(done, timeout=timeout, message=f"deliveries of event {event_id} to finish")


def test_air_notification_reaches_the_segment_sandbox(live, connector):
    notification = air_notification()

    response = live.post(out_path(connector), notification, token=connector.tokens_plain["out"])

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "OK"
    event_id = response.json()["event_id"]
    assert response.headers["X-EES-Connector-Trace-Id"] == event_id
    [delivery] = settled(event_id)
    assert delivery.status == Delivery.Status.SUCCEEDED
    assert delivery.attempts == 1
    messages = live.segment_messages()
    events = {m["event"] for m in messages if m["type"] == "track"}
    assert "EE Loyalty Program Joined" in events
    assert {m["messageId"] for m in messages} >= {
        m["messageId"] for m in delivery.body["batch"]
    }


def test_segment_trigger_reaches_the_air_sandbox_with_a_valid_hash(live, connector):
    trigger = segment_trigger("msg-abc-123")

    response = live.post(in_path(connector), trigger, token=connector.tokens_plain["in"])

    assert response.status_code == 200, response.text
    [delivery] = settled(response.json()["event_id"])
    assert delivery.status == Delivery.Status.SUCCEEDED
    assert delivery.last_status_code == 201
    [received] = live.received("air")
    # Segment's reference, suffixed from the trigger's key (its identity and triggers).
    assert delivery.idempotency_key.startswith("msg-abc-123-")
    assert received["body"] == {**trigger["body"], "walletTransaction": {"reference": delivery.idempotency_key}}
    assert received["status"] == 201


def test_a_sink_failing_twice_then_succeeding_is_delivered_after_three_attempts(live, connector):
    live.behave("segment", status=500, fail_first=2)

    response = live.post(out_path(connector), air_notification(), token=connector.tokens_plain["out"])

    [delivery] = settled(response.json()["event_id"])
    assert delivery.status == Delivery.Status.SUCCEEDED
    attempts = list(delivery.attempt_log.order_by("number"))
    assert [a.response_status for a in attempts] == [500, 500, 200]
    assert [a.outcome for a in attempts] == ["retry", "retry", "succeeded"]


def test_a_sink_answering_400_fails_the_delivery_after_one_attempt(live, connector):
    live.behave("segment", status=400)

    response = live.post(out_path(connector), air_notification(), token=connector.tokens_plain["out"])

    [delivery] = settled(response.json()["event_id"])
    assert delivery.status == Delivery.Status.FAILED
    assert delivery.attempts == 1
    assert delivery.last_status_code == 400
    assert "rejected the request (400)" in delivery.last_error


def test_the_same_webhook_twice_makes_one_delivery(live, connector):
    notification = air_notification()

    first = live.post(out_path(connector), notification, token=connector.tokens_plain["out"])
    second = live.post(out_path(connector), notification, token=connector.tokens_plain["out"])

    assert first.status_code == second.status_code == 200
    assert second.json() == {"status": "OK", "event_id": first.json()["event_id"], "duplicate": True}
    settled(first.json()["event_id"])
    assert Delivery.objects.filter(event__connector=connector).count() == 1
    assert Event.objects.get(public_id=first.json()["event_id"]).duplicate_count == 1


def test_deliveries_in_flight_when_the_worker_is_killed_are_still_delivered(live, connector):
    live.behave("segment", delay_ms=1500)
    event_ids = [
        live.post(out_path(connector), air_notification(), token=connector.tokens_plain["out"]).json()["event_id"]
        for _ in range(6)
    ]
    wait_until(
        lambda: Delivery.objects.filter(connector=connector, status=Delivery.Status.DELIVERING).exists(),
        message="a delivery in flight",
    )

    live.kill("worker")
    live.behave("segment")
    live.start_worker("worker")

    for event_id in event_ids:
        [delivery] = settled(event_id, timeout=60)
        assert delivery.status == Delivery.Status.SUCCEEDED
    delivered_ids = {m["messageId"] for m in live.segment_messages()}
    expected_ids = {
        m["messageId"] for d in Delivery.objects.filter(connector=connector) for m in d.body["batch"]
    }
    assert expected_ids <= delivered_ids


@pytest.mark.parametrize(
    ("headers_token", "content_type", "raw", "status"),
    [
        ("out", "application/json", b"{not json", 400),
        ("out", "text/plain", b"{}", 415),
        ("", "application/json", b"{}", 401),
        ("wrong", "application/json", b"{}", 403),
        ("in", "application/json", b"{}", 403),
    ],
)
def test_bad_requests_get_their_status_and_store_nothing(live, connector, headers_token, content_type, raw, status):
    token = connector.tokens_plain.get(headers_token, headers_token)

    response = live.post(out_path(connector), None, token=token, content_type=content_type, raw=raw)

    assert response.status_code == status, response.text
    assert "message" in response.json()
    assert not Event.objects.filter(connector=connector).exists()


def test_a_body_over_the_limit_is_refused_with_413_and_nothing_stored(live, connector):
    notification = air_notification()
    notification["padding"] = "x" * (2 * 1024 * 1024)

    response = live.post(out_path(connector), notification, token=connector.tokens_plain["out"])

    assert response.status_code == 413
    assert not Event.objects.filter(connector=connector).exists()
    assert not DeliveryAttempt.objects.exists()


def test_a_body_with_a_bad_field_is_refused_naming_the_field(live, connector):
    trigger = segment_trigger()
    trigger["body"]["triggers"] = [{"reference": ""}, {"reference": " "}]  # no usable trigger at all

    response = live.post(in_path(connector), trigger, token=connector.tokens_plain["in"])

    assert response.status_code == 400
    assert [error["path"] for error in response.json()["errors"]] == [
        "body.triggers[0].reference",
        "body.triggers[1].reference",
    ]
    assert not Event.objects.filter(connector=connector).exists()
