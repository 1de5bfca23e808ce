"""One attempt at a delivery: claim, send, record, decide. The destination is mocked (responses)."""

from datetime import timedelta

import pytest
import requests
import responses
from django.utils import timezone

from events.delivery.claiming import delivery_claim
from events.delivery.deliver import delivery_attempt
from events.models import Delivery
from tests.events.factories import DeliveryFactory

pytestmark = pytest.mark.django_db
SANDBOX_BATCH = "http://127.0.0.1:8000/sandbox/segment/v1/batch"


@pytest.fixture
def delivery():
    return DeliveryFactory(url=SANDBOX_BATCH)


def test_only_one_claim_of_a_due_delivery_wins(delivery):
    assert delivery_claim(delivery_id=delivery.pk) is True
    assert delivery_claim(delivery_id=delivery.pk) is False
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DELIVERING
    assert delivery.attempts == 1


def test_a_delivery_not_yet_due_is_not_claimed(delivery):
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() + timedelta(minutes=5))

    assert delivery_attempt(delivery_id=delivery.pk) is None
    assert not delivery.attempt_log.exists()


@responses.activate
def test_a_2xx_succeeds_and_the_attempt_is_recorded_with_secrets_redacted(delivery):
    responses.post(SANDBOX_BATCH, json={"success": True}, headers={"X-Request-Id": "r-1"})

    status = delivery_attempt(delivery_id=delivery.pk, task_id="task-1")

    delivery.refresh_from_db()
    assert status == delivery.status == Delivery.Status.SUCCEEDED
    assert delivery.delivered_at is not None
    assert delivery.last_status_code == 200
    [attempt] = delivery.attempt_log.all()
    assert attempt.number == 1
    assert attempt.outcome == "succeeded"
    assert attempt.trigger == "auto"
    assert attempt.task_id == "task-1"
    assert attempt.request_headers["Authorization"] == "[redacted]"
    assert "sandbox-write-key" not in attempt.request_body
    assert '"messageId":"m1"' in attempt.request_body
    assert attempt.response_body == '{"success": true}'
    sent = responses.calls[0].request
    assert sent.headers["Authorization"].startswith("Basic ")
    assert sent.headers["User-Agent"].startswith("ee-connect/")


@responses.activate
def test_a_5xx_is_retried_later(delivery):
    responses.post(SANDBOX_BATCH, status=503, body="down")
    before = timezone.now()

    status = delivery_attempt(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert status == Delivery.Status.RETRYING
    assert delivery.next_attempt_at > before
    assert delivery.last_error == "The destination failed with 503 (will be retried)"
    assert delivery.attempt_log.get().outcome == "retry"


@responses.activate
def test_a_429_waits_for_retry_after(delivery):
    responses.post(SANDBOX_BATCH, status=429, headers={"Retry-After": "7"})
    before = timezone.now()

    delivery_attempt(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    wait = (delivery.next_attempt_at - before).total_seconds()
    assert 6 <= wait <= 9


@responses.activate
def test_a_4xx_fails_at_once_with_the_reason(delivery):
    responses.post(SANDBOX_BATCH, status=400, json={"code": "invalid", "message": "bad batch"})

    status = delivery_attempt(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert status == Delivery.Status.FAILED
    assert delivery.next_attempt_at is None
    assert delivery.last_error == "The destination rejected the request (400)"
    assert delivery.attempt_log.get().outcome == "terminal"


@responses.activate
def test_the_last_allowed_attempt_gives_up(delivery):
    responses.post(SANDBOX_BATCH, status=500)
    Delivery.objects.filter(pk=delivery.pk).update(attempts=11)

    status = delivery_attempt(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert status == Delivery.Status.FAILED
    assert delivery.attempts == 12
    assert delivery.last_error.startswith("Gave up after 12 attempts.")


@responses.activate
def test_a_network_error_is_retried_and_named(delivery):
    responses.post(SANDBOX_BATCH, body=requests.ConnectionError("connection refused"))

    status = delivery_attempt(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    attempt = delivery.attempt_log.get()
    assert status == Delivery.Status.RETRYING
    assert attempt.response_status is None
    assert attempt.error_class == "ConnectionError"
    assert "connection refused" in attempt.error_message


@responses.activate
def test_a_redirect_is_not_followed(delivery):
    responses.post(SANDBOX_BATCH, status=302, headers={"Location": "http://169.254.169.254/"})

    status = delivery_attempt(delivery_id=delivery.pk)

    assert status == Delivery.Status.FAILED
    assert len(responses.calls) == 1


@responses.activate
def test_a_long_response_body_is_truncated(delivery):
    responses.post(SANDBOX_BATCH, status=200, body="x" * 20000)

    delivery_attempt(delivery_id=delivery.pk)

    assert len(delivery.attempt_log.get().response_body) == 8192


def test_a_paused_connector_holds_the_delivery_without_an_attempt(delivery):
    delivery.connector.state = "paused"
    delivery.connector.save()

    status = delivery_attempt(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert status == Delivery.Status.HELD
    assert delivery.attempts == 0
    assert not delivery.attempt_log.exists()


def test_a_request_that_cannot_be_prepared_fails_with_the_reason(delivery):
    delivery.connector.secrets_encrypted = ""
    delivery.connector.save()

    status = delivery_attempt(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert status == Delivery.Status.FAILED
    assert "Could not prepare the request" in delivery.last_error
    assert "segment_write_key" in delivery.last_error
