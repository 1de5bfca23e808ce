"""A request that runs out of time is an attempt to retry, never a success; a time limit is never
swallowed. The destination is mocked (responses, or a stand-in for the HTTP client): no network,
no waiting."""

import io

import pytest
import responses
from celery.exceptions import SoftTimeLimitExceeded
from django.utils import timezone

from events.delivery.deliver import deliveries_attempt, delivery_attempt
from events.delivery.queue import deliveries_enqueue
from events.models import Delivery
from tests.events.factories import DeliveryFactory

pytestmark = pytest.mark.django_db
SANDBOX_BATCH = "http://127.0.0.1:8000/sandbox/segment/v1/batch"
TIME_LIMIT_REASON = "The worker's time limit ran out during the request: no complete answer in time"


class _Dripping(io.RawIOBase):
    """A body that gives a few bytes, then ``error`` at the next read: a dripping answer cut by a
    time limit."""

    def __init__(self, error: BaseException):
        self.error = error
        self.given = False

    def readable(self):
        return True

    def readinto(self, buffer):
        if self.given:
            raise self.error
        self.given = True
        buffer[:2] = b'{"'
        return 2


def test_a_time_limit_while_the_answer_is_read_is_a_retry_with_the_reason_and_is_raised_again():
    # given a destination that answered 200 and drips its body until Celery's soft time limit
    delivery = DeliveryFactory(url=SANDBOX_BATCH)

    # when / then the time limit reaches Celery
    with responses.RequestsMock() as mocked:
        mocked.post(SANDBOX_BATCH, status=200, body=io.BufferedReader(_Dripping(SoftTimeLimitExceeded()), 1))
        with pytest.raises(SoftTimeLimitExceeded):
            delivery_attempt(delivery_id=delivery.pk)

    # and the delivery is retrying with the reason, the attempt says so, nothing says succeeded
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.RETRYING
    assert delivery.delivered_at is None
    assert delivery.last_error == TIME_LIMIT_REASON
    assert delivery.last_status_code is None
    [attempt] = delivery.attempt_log.all()
    assert attempt.outcome == "retry"
    assert attempt.error_class == "SoftTimeLimitExceeded"
    assert attempt.error_message == TIME_LIMIT_REASON
    assert attempt.response_status is None


def test_a_time_limit_while_sending_is_a_retry_and_the_unsent_rows_go_back_uncounted(monkeypatch):
    # given two deliveries to two connectors (two requests), the first request hit by the time limit
    first = DeliveryFactory(url=SANDBOX_BATCH)
    second = DeliveryFactory(url=SANDBOX_BATCH)

    def send(prepared, **options):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr("events.delivery.sending.http_send", send)

    # when
    with pytest.raises(SoftTimeLimitExceeded):
        deliveries_attempt(delivery_ids=[first.pk, second.pk])

    # then the first is retrying with the reason; the second was never sent and is due, attempt uncounted
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.attempts, first.last_error) == (Delivery.Status.RETRYING, 1, TIME_LIMIT_REASON)
    assert first.attempt_log.get().outcome == "retry"
    assert (second.status, second.attempts, second.claim_expires_at) == (Delivery.Status.PENDING, 0, None)
    assert not second.attempt_log.exists()


def test_a_worker_shutdown_during_the_request_is_recorded_then_raised_again(monkeypatch):
    # given
    delivery = DeliveryFactory(url=SANDBOX_BATCH)

    def send(prepared, **options):
        raise KeyboardInterrupt()

    monkeypatch.setattr("events.delivery.sending.http_send", send)

    # when / then
    with pytest.raises(KeyboardInterrupt):
        delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.RETRYING
    assert delivery.last_error == "The request was interrupted (KeyboardInterrupt) before a complete answer"


def test_a_time_limit_while_preparing_sends_nothing_and_gives_the_row_back(monkeypatch):
    # given secrets that take until the time limit to read
    delivery = DeliveryFactory(url=SANDBOX_BATCH)

    def config(connector):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr("events.delivery.sending.connector_config", config)

    # when / then
    with pytest.raises(SoftTimeLimitExceeded):
        delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == (Delivery.Status.PENDING, 0, "")
    assert not delivery.attempt_log.exists()


def test_a_time_limit_while_sending_a_hint_is_raised_not_taken_for_a_broker_failure(monkeypatch):
    # given a hinted delivery, and the sweeper's time running out while it sends the hint
    hinted_at = timezone.now()
    delivery = DeliveryFactory(url=SANDBOX_BATCH, enqueued_at=hinted_at)

    def send_task(name, args=None, **kwargs):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr("events.delivery.queue.current_app.send_task", send_task)

    # when / then the time limit reaches Celery and the row keeps its hint mark (no broker alarm)
    with pytest.raises(SoftTimeLimitExceeded):
        deliveries_enqueue([delivery.pk])
    delivery.refresh_from_db()
    assert delivery.enqueued_at == hinted_at
