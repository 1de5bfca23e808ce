"""One slow or failing destination cannot slow the others: per connector and destination, a
circuit breaker and a concurrency cap shared through the database. The service is given its clock
(``now``); the delivery tests mock the destination (responses) and compare times an hour apart."""

from datetime import timedelta

import pytest
import responses
from django.urls import reverse
from django.utils import timezone

from events.delivery.deliver import deliveries_attempt, delivery_attempt
from events.delivery.destinations import destination_admit, destination_settle
from events.models import Delivery, DestinationCircuit, DestinationSlot
from tests.connectors.factories import ConnectorFactory
from tests.events.factories import DeliveryFactory

pytestmark = pytest.mark.django_db
SANDBOX_BATCH = "http://127.0.0.1:8000/sandbox/segment/v1/batch"
T0 = timezone.now().replace(microsecond=0)
TIMEOUT = "No answer in time: read timed out"


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.DESTINATION_CIRCUIT_FAILURES = 3
    settings.DESTINATION_CIRCUIT_COOLDOWN_SECONDS = 60
    settings.DESTINATION_MAX_CONCURRENCY = 2
    settings.DESTINATION_BUSY_DELAY_SECONDS = 1
    settings.DELIVERY_CLAIM_SECONDS = 180


def _fail(connector, times: int, *, now=T0, destination="perkville") -> None:
    for _ in range(times):
        admission = destination_admit(connector_id=connector.pk, destination=destination, now=now)
        assert admission.admitted
        destination_settle(admission=admission, now=now, failure=TIMEOUT)


def _circuit(connector, destination="perkville") -> DestinationCircuit:
    return DestinationCircuit.objects.get(connector=connector, destination=destination)


# The circuit breaker


def test_the_circuit_opens_after_the_set_number_of_failures_in_a_row_and_deliveries_wait_for_the_probe():
    connector = ConnectorFactory()

    # given two timeouts: still closed (3 open it)
    _fail(connector, 2)
    assert (_circuit(connector).state, _circuit(connector).consecutive_failures) == ("closed", 2)

    # when the third times out
    _fail(connector, 1)

    # then it is open from T0, probed 60 s later, and a request a second before that waits for it
    circuit = _circuit(connector)
    assert (circuit.state, circuit.consecutive_failures, circuit.last_failure) == ("open", 3, TIMEOUT)
    assert (circuit.opened_at, circuit.probe_at) == (T0, T0 + timedelta(seconds=60))
    waiting = destination_admit(connector_id=connector.pk, destination="perkville", now=T0 + timedelta(seconds=59))
    assert waiting.admitted is False
    assert waiting.wait_until == T0 + timedelta(seconds=60)
    assert waiting.reason == (
        f"Waiting: the destination had 3 failures in a row (last: {TIMEOUT}); "
        f"next probe at {T0 + timedelta(seconds=60):%Y-%m-%d %H:%M:%S} UTC"
    )
    assert DestinationSlot.objects.filter(held_until__isnull=False).count() == 0


def test_an_answer_between_failures_starts_the_count_again():
    connector = ConnectorFactory()
    _fail(connector, 2)

    answered = destination_admit(connector_id=connector.pk, destination="perkville", now=T0)
    destination_settle(admission=answered, now=T0)
    _fail(connector, 2)

    assert (_circuit(connector).state, _circuit(connector).consecutive_failures) == ("closed", 2)


def test_after_the_cool_down_one_request_probes_and_its_success_closes_the_circuit():
    connector = ConnectorFactory()
    _fail(connector, 3)
    probe_time = T0 + timedelta(seconds=60)

    # when the probe is due: the first request probes, the next waits a busy delay (1 s)
    probe = destination_admit(connector_id=connector.pk, destination="perkville", now=probe_time)
    other = destination_admit(connector_id=connector.pk, destination="perkville", now=probe_time)

    assert (probe.admitted, probe.probe) == (True, True)
    assert _circuit(connector).state == "half_open"
    assert other.admitted is False
    assert other.wait_until == probe_time + timedelta(seconds=1)

    # and when the probe succeeds the circuit closes and requests go again
    destination_settle(admission=probe, now=probe_time)
    circuit = _circuit(connector)
    assert (circuit.state, circuit.consecutive_failures, circuit.opened_at, circuit.probe_at) == (
        "closed", 0, None, None
    )
    assert destination_admit(connector_id=connector.pk, destination="perkville", now=probe_time).admitted


def test_a_failed_probe_opens_the_circuit_for_another_cool_down():
    connector = ConnectorFactory()
    _fail(connector, 3)
    probe_time = T0 + timedelta(seconds=60)
    probe = destination_admit(connector_id=connector.pk, destination="perkville", now=probe_time)

    destination_settle(admission=probe, now=probe_time, failure=TIMEOUT)

    circuit = _circuit(connector)
    assert (circuit.state, circuit.consecutive_failures) == ("open", 4)
    assert circuit.opened_at == T0  # open since the first opening
    assert circuit.probe_at == probe_time + timedelta(seconds=60)


def test_a_probe_lost_with_its_worker_is_taken_over_when_its_lease_ends():
    connector = ConnectorFactory()
    _fail(connector, 3)
    probe_time = T0 + timedelta(seconds=60)
    destination_admit(connector_id=connector.pk, destination="perkville", now=probe_time)  # never settled

    # the lease is the claim's length (180 s): a second before, others wait; at its end one probes
    before = destination_admit(
        connector_id=connector.pk, destination="perkville", now=probe_time + timedelta(seconds=179)
    )
    after = destination_admit(
        connector_id=connector.pk, destination="perkville", now=probe_time + timedelta(seconds=180)
    )

    assert before.admitted is False
    assert (after.admitted, after.probe) == (True, True)


def test_another_connectors_destination_is_not_affected_by_an_open_circuit():
    slow, healthy = ConnectorFactory(), ConnectorFactory()
    _fail(slow, 3)

    assert destination_admit(connector_id=healthy.pk, destination="perkville", now=T0).admitted
    assert destination_admit(connector_id=slow.pk, destination="segment", now=T0).admitted
    assert destination_admit(connector_id=slow.pk, destination="perkville", now=T0).admitted is False


# The concurrency cap


def test_a_destination_at_its_concurrency_cap_makes_the_next_request_wait_until_a_slot_is_free():
    connector = ConnectorFactory()
    first = destination_admit(connector_id=connector.pk, destination="segment", now=T0)
    second = destination_admit(connector_id=connector.pk, destination="segment", now=T0)

    third = destination_admit(connector_id=connector.pk, destination="segment", now=T0)

    assert first.admitted and second.admitted
    assert (third.admitted, third.wait_until, third.reason) == (False, T0 + timedelta(seconds=1), "")
    destination_settle(admission=first, now=T0)
    assert destination_admit(connector_id=connector.pk, destination="segment", now=T0).admitted


def test_a_slot_held_by_a_worker_that_died_is_free_when_its_lease_ends():
    connector = ConnectorFactory()
    for _ in range(2):
        destination_admit(connector_id=connector.pk, destination="segment", now=T0)  # never settled

    later = T0 + timedelta(seconds=179)
    assert destination_admit(connector_id=connector.pk, destination="segment", now=later).admitted is False
    freed = destination_admit(connector_id=connector.pk, destination="segment", now=later + timedelta(seconds=1))
    assert freed.admitted


def test_a_raised_cap_gives_more_slots(settings):
    connector = ConnectorFactory()
    for _ in range(2):
        destination_admit(connector_id=connector.pk, destination="segment", now=T0)
    settings.DESTINATION_MAX_CONCURRENCY = 3

    assert destination_admit(connector_id=connector.pk, destination="segment", now=T0).admitted
    assert DestinationSlot.objects.filter(circuit__connector=connector).count() == 3


# The connector's outbound rate limit


def test_a_rate_of_two_a_second_lets_two_requests_start_in_a_second_and_the_third_waits_for_the_next():
    connector = ConnectorFactory()
    started = []
    for offset in (0.1, 0.5):
        admission = destination_admit(
            connector_id=connector.pk, destination="segment", now=T0 + timedelta(seconds=offset), rate_per_second=2
        )
        started.append(admission.admitted)
        destination_settle(admission=admission, now=T0 + timedelta(seconds=offset))

    third = destination_admit(
        connector_id=connector.pk, destination="segment", now=T0 + timedelta(seconds=0.9), rate_per_second=2
    )
    next_second = destination_admit(
        connector_id=connector.pk, destination="segment", now=T0 + timedelta(seconds=1), rate_per_second=2
    )

    assert started == [True, True]
    assert (third.admitted, third.wait_until, third.reason) == (False, T0 + timedelta(seconds=1), "")
    assert next_second.admitted
    # the third held no slot: the one taken before its refusal was given back
    assert DestinationSlot.objects.filter(held_until__isnull=False).count() == 1


def test_the_rate_limit_is_per_destination():
    connector = ConnectorFactory()
    destination_admit(connector_id=connector.pk, destination="segment", now=T0, rate_per_second=1)

    assert destination_admit(connector_id=connector.pk, destination="air", now=T0, rate_per_second=1).admitted
    again = destination_admit(connector_id=connector.pk, destination="segment", now=T0, rate_per_second=1)
    assert again.admitted is False


@responses.activate
def test_a_delivery_over_the_connectors_rate_waits_for_the_next_second_uncounted(monkeypatch):
    # given a connector allowed one request a second, two deliveries to two Segment URLs (two
    # requests), and a clock that stands still
    connector = ConnectorFactory(destination_rate_per_second=1)
    other_url = "http://127.0.0.1:8000/sandbox/segment/other/v1/batch"
    sent = DeliveryFactory(url=SANDBOX_BATCH, event__connector=connector)
    waiting = DeliveryFactory(url=other_url, event__connector=connector)
    responses.post(SANDBOX_BATCH, json={"success": True})
    now = timezone.now().replace(microsecond=0) + timedelta(minutes=1)
    monkeypatch.setattr("django.utils.timezone.now", lambda: now)

    # when
    statuses = deliveries_attempt(delivery_ids=[sent.pk, waiting.pk])

    # then the first went, the second is due at the next second with its attempt not counted
    waiting.refresh_from_db()
    assert statuses == {sent.pk: Delivery.Status.SUCCEEDED, waiting.pk: Delivery.Status.PENDING}
    assert (waiting.attempts, waiting.next_attempt_at, waiting.last_error) == (0, now + timedelta(seconds=1), "")
    assert not waiting.attempt_log.exists()
    assert [call.request.url for call in responses.calls] == [SANDBOX_BATCH]


# Deliveries


@responses.activate
def test_deliveries_to_an_open_circuit_wait_for_the_probe_without_an_attempt():
    # given a circuit opened a minute ago, probed in an hour
    delivery = DeliveryFactory(url=SANDBOX_BATCH, status=Delivery.Status.RETRYING, attempts=3)
    probe_at = timezone.now() + timedelta(hours=1)
    DestinationCircuit.objects.create(
        connector=delivery.connector, destination="segment", state="open", consecutive_failures=3,
        last_failure=TIMEOUT, opened_at=timezone.now() - timedelta(minutes=1), probe_at=probe_at,
    )

    # when
    status = delivery_attempt(delivery_id=delivery.pk)

    # then nothing was sent, no attempt counted, the delivery is due at the probe with the reason
    delivery.refresh_from_db()
    assert status == delivery.status == Delivery.Status.RETRYING
    assert (delivery.attempts, delivery.next_attempt_at, delivery.claim_expires_at) == (3, probe_at, None)
    assert delivery.last_error.startswith("Waiting: the destination had 3 failures in a row")
    assert not delivery.attempt_log.exists()
    assert len(responses.calls) == 0


@responses.activate
def test_failed_deliveries_open_the_circuit_and_the_next_waits_while_another_connector_is_sent():
    # given a destination that times out, and a healthy connector beside it
    responses.post(SANDBOX_BATCH, status=503)
    connector = ConnectorFactory()
    failing = [DeliveryFactory(url=SANDBOX_BATCH, event__connector=connector) for _ in range(3)]
    healthy_url = "http://127.0.0.1:8000/sandbox/segment/healthy/v1/batch"
    healthy = DeliveryFactory(url=healthy_url)
    responses.post(healthy_url, json={"success": True})

    # when the first three fail one after the other (3 open the circuit), then a fourth comes
    statuses = [delivery_attempt(delivery_id=delivery.pk) for delivery in failing]
    fourth = DeliveryFactory(url=SANDBOX_BATCH, event__connector=connector)
    waited = delivery_attempt(delivery_id=fourth.pk)
    sent = delivery_attempt(delivery_id=healthy.pk)

    # then
    assert statuses == [Delivery.Status.RETRYING] * 3
    assert _circuit(connector, "segment").state == "open"
    fourth.refresh_from_db()
    assert (waited, fourth.attempts, fourth.next_attempt_at) == ("pending", 0, _circuit(connector, "segment").probe_at)
    assert not fourth.attempt_log.exists()
    assert sent == Delivery.Status.SUCCEEDED
    assert len(responses.calls) == 4  # three failures and the healthy one, nothing to the open circuit


@responses.activate
def test_a_delivery_whose_destination_is_at_its_cap_waits_a_moment_uncounted():
    # given both slots of the destination held by requests in flight elsewhere
    delivery = DeliveryFactory(url=SANDBOX_BATCH)
    for _ in range(2):
        assert destination_admit(connector_id=delivery.connector_id, destination="segment", now=timezone.now()).admitted
    before = timezone.now()

    # when
    status = delivery_attempt(delivery_id=delivery.pk)

    # then it is due again after the busy delay (1 s), its attempt not counted, nothing sent
    delivery.refresh_from_db()
    assert status == delivery.status == Delivery.Status.PENDING
    assert delivery.attempts == 0
    assert before + timedelta(seconds=1) <= delivery.next_attempt_at <= timezone.now() + timedelta(seconds=1)
    assert delivery.last_error == ""
    assert not delivery.attempt_log.exists()
    assert len(responses.calls) == 0


@responses.activate
def test_the_slot_is_free_again_after_the_request():
    responses.post(SANDBOX_BATCH, json={"success": True})
    delivery = DeliveryFactory(url=SANDBOX_BATCH)

    delivery_attempt(delivery_id=delivery.pk)

    # the cap's two slots, made on first need, both free again
    assert list(DestinationSlot.objects.values_list("held_until", "holder")) == [(None, ""), (None, "")]


def test_a_hint_naming_several_destinations_attempts_one_and_hints_the_others_apart(hints):
    # given a hint naming deliveries of two connectors, all not yet due (nothing is sent)
    later = timezone.now() + timedelta(hours=1)
    first, second = DeliveryFactory(next_attempt_at=later), DeliveryFactory(next_attempt_at=later)
    same_as_first = DeliveryFactory(next_attempt_at=later, event__connector=first.connector)

    # when
    deliveries_attempt(delivery_ids=[second.pk, same_as_first.pk, first.pk], top_up=True)

    # then the second connector's id went in a hint of its own
    assert hints == [("events.deliveries_attempt", [[second.pk]])]


# The connector's health page


def test_the_health_page_shows_each_destinations_circuit(admin_client):
    # given an open circuit on Perkville and a healthy Segment with one request in flight
    connector = ConnectorFactory()
    _fail(connector, 3, now=timezone.now())
    destination_admit(connector_id=connector.pk, destination="segment", now=timezone.now())

    # when
    page = admin_client.get(reverse("admin:events_connectorhealth_change", args=[connector.pk]))

    # then
    assert page.status_code == 200
    rows = {row.destination: row for row in page.context["health"].destinations}
    circuit = _circuit(connector)
    assert (rows["perkville"].state_label, rows["perkville"].consecutive_failures) == (
        "Open (waiting for the next probe)", 3
    )
    assert (rows["perkville"].opened_at, rows["perkville"].next_probe_at) == (circuit.opened_at, circuit.probe_at)
    assert (rows["perkville"].in_flight, rows["perkville"].last_failure) == (0, TIMEOUT)
    assert (rows["segment"].state_label, rows["segment"].consecutive_failures, rows["segment"].in_flight) == (
        "Closed (sending)", 0, 1
    )
    body = page.content.decode()
    assert "Open (waiting for the next probe)" in body
    assert TIMEOUT in body
