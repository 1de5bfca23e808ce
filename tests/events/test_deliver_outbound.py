"""Deliveries to real loopback sockets: a dripping destination is retried at the total deadline,
never recorded as succeeded; a destination with a private address fails at once, nothing sent."""

import pytest

from events.delivery.deliver import delivery_attempt
from events.models import Delivery
from tests.events.factories import DeliveryFactory
from tests.events.test_http import Destination, drips_the_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def dripping():
    server = Destination(drips_the_body)
    yield server
    server.stop()


def test_a_200_whose_body_drips_past_the_deadline_is_retried_not_succeeded(settings, dripping):
    settings.HTTP_TOTAL_TIMEOUT = 0.3
    settings.HTTP_READ_TIMEOUT = 60.0
    delivery = DeliveryFactory(url=dripping.url)

    status = delivery_attempt(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert status == delivery.status == Delivery.Status.RETRYING
    assert delivery.delivered_at is None
    attempt = delivery.attempt_log.get()
    assert (attempt.outcome, attempt.error_class, attempt.response_status) == ("retry", "DeadlineExceeded", None)
    assert attempt.error_message == "No answer in time: no complete answer within 0.3 s (HTTP_TOTAL_TIMEOUT)"
    assert len(dripping.requests) == 1


def test_a_private_destination_fails_for_good_with_one_clear_reason(settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = True  # the sandbox's allowance does not reach 10.x
    delivery = DeliveryFactory(url="http://10.0.0.5/v1/batch")

    status = delivery_attempt(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert status == delivery.status == Delivery.Status.FAILED
    assert delivery.last_error == "Destination address 10.0.0.5 is private; refused."
    attempt = delivery.attempt_log.get()
    assert (attempt.outcome, attempt.error_class, attempt.response_status) == ("terminal", "AddressRefused", None)
