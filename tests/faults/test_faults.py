"""Fault injection: each scenario sends a known number of uniquely identified events while something
breaks, then proves that every accepted event was delivered or failed with a reason, none was lost,
and the reconciliation finds no orphan. Run with ``make faults``."""

import math
import random
import signal
import statistics
import time

import pytest
from celery import Celery
from django.db import connections
from django.utils import timezone

from connectors.tokens import token_issue
from events.models import Delivery, DeliveryAttempt, DestinationCircuit, Event
from tests.connectors.factories import AIR_SETTINGS, ConnectorFactory
from tests.e2e.harness import wait_until
from tests.faults.scenario import Sender, reconciled, settle
from tests.faults.servers import SlowDestination

pytestmark = [pytest.mark.faults, pytest.mark.e2e]

# Hints lost with a broker or a worker are re-sent by the sweeper once they are a minute old.
SETTLE_SECONDS = 150


def out_path(connector) -> str:
    return f"/out/segment/{connector.public_id}"


def sender_for(live, connector) -> Sender:
    return Sender(live, path=out_path(connector), token=connector.out_token)


def assert_nothing_lost(counted, *, count: int) -> None:
    assert counted.accepted == count
    assert counted.lost == 0
    assert counted.pending == 0
    assert counted.delivered + counted.failed == count


def test_worker_killed_repeatedly_while_delivering(live, connector):
    # given a slow sink, so that deliveries are in flight when the worker dies
    since = timezone.now()
    live.behave("segment", delay_ms=150)
    finished = sender_for(live, connector).send_in_background(120, per_second=20)

    # when the worker is killed with SIGKILL six times, at random moments
    for _ in range(6):
        time.sleep(random.uniform(1.0, 2.5))
        live.kill("worker", signal.SIGKILL)
        live.start_worker()
    sent = finished()
    live.behave("segment")

    # then
    counted = settle(live, connector=connector, accepted=sent.accepted, timeout=SETTLE_SECONDS)
    assert sent.given_up == set()
    assert_nothing_lost(counted, count=120)
    assert counted.failed == 0
    assert reconciled(since=since)["clean"] is True


def test_redis_stopped_while_webhooks_keep_arriving(live, connector, own_redis):
    # given a steady flow of webhooks
    since = timezone.now()
    finished = sender_for(live, connector).send_in_background(400, per_second=10)

    # when the broker is down for 30 seconds in the middle of it
    time.sleep(4)
    own_redis.stop()
    time.sleep(30)
    own_redis.start()
    sent = finished()

    # then every webhook was accepted (the database is the outbox) and delivered once Redis is back
    counted = settle(live, connector=connector, accepted=sent.accepted, timeout=SETTLE_SECONDS)
    assert sent.refusals == {}
    assert_nothing_lost(counted, count=400)
    assert counted.failed == 0
    assert reconciled(since=since)["clean"] is True


def test_postgres_restarted_while_webhooks_arrive(live, connector, own_postgres):
    # given a steady flow of webhooks
    since = timezone.now()
    finished = sender_for(live, connector).send_in_background(200, per_second=20)

    # when the database goes down for five seconds and comes back
    time.sleep(3)
    own_postgres.stop()
    time.sleep(5)
    own_postgres.start()
    sent = finished()
    connections.close_all()

    # then the webhooks in that window were refused with 503, and every 200 was a stored event
    counted = settle(live, connector=connector, accepted=sent.accepted, timeout=SETTLE_SECONDS)
    assert sent.refusals.get("503", 0) > 0
    assert set(sent.refusals) <= {"503"}
    assert sent.given_up == set()
    assert_nothing_lost(counted, count=200)
    assert counted.failed == 0
    assert reconciled(since=since)["clean"] is True


# An outage the retry schedule outlasts: each failing call is one failed attempt of every delivery
# it carries (all of them, when one batch carries them all), so a sink failing more calls than the
# attempt budget (DELIVERY_MAX_ATTEMPTS, 12) would rightly fail them.
OUTAGE_CALLS = 10


@pytest.mark.parametrize(
    "behaviour",
    [
        pytest.param({"status": 500, "fail_first": OUTAGE_CALLS}, id="500"),
        pytest.param({"status": 429, "fail_first": OUTAGE_CALLS, "retry_after": 1}, id="429-retry-after"),
    ],
)
def test_segment_failing_then_recovering(live, connector, behaviour):
    # given a sink that fails its next calls
    since = timezone.now()
    live.behave("segment", **behaviour)

    # when
    sent = sender_for(live, connector).send(60, per_second=30)

    # then every event got through on a later attempt
    counted = settle(live, connector=connector, accepted=sent.accepted, timeout=SETTLE_SECONDS)
    assert_nothing_lost(counted, count=60)
    assert counted.delivered == 60
    assert counted.duplicates_at_sink == 0
    assert reconciled(since=since)["clean"] is True


def test_segment_hanging_past_the_read_timeout(live, connector):
    # given a sink that answers only after the platform's read timeout (3 s in the harness)
    since = timezone.now()
    live.behave("segment", delay_ms=4000)

    # when events arrive while it hangs, and it recovers ten seconds later
    sent = sender_for(live, connector).send(30, per_second=10)
    time.sleep(10)
    live.behave("segment")

    # then every event is delivered; a hung call may still have been kept, so Segment saw a duplicate
    counted = settle(live, connector=connector, accepted=sent.accepted, timeout=SETTLE_SECONDS)
    assert_nothing_lost(counted, count=30)
    assert counted.delivered == 30
    assert reconciled(since=since)["clean"] is True


def test_segment_refusing_for_good(live, connector):
    # given a sink that refuses every request as invalid
    since = timezone.now()
    live.behave("segment", status=400)

    # when
    sent = sender_for(live, connector).send(20, per_second=20)

    # then every event failed, each with the reason, and none was retried or lost
    counted = settle(live, connector=connector, accepted=sent.accepted, timeout=SETTLE_SECONDS)
    assert_nothing_lost(counted, count=20)
    assert counted.failed == 20
    assert counted.delivered == 0
    assert reconciled(since=since)["deliveries"]["failed"] == 20


def test_every_webhook_delivered_three_times_by_the_sender(live, connector):
    # given
    since = timezone.now()

    # when each notification is posted three times, concurrently
    sent = sender_for(live, connector).send(100, copies=3, per_second=30, threads=6)

    # then one event per notification, two duplicates counted on each, one delivery at the sink
    counted = settle(live, connector=connector, accepted=sent.accepted, timeout=SETTLE_SECONDS)
    assert_nothing_lost(counted, count=100)
    assert counted.delivered == 100
    assert counted.duplicates_at_sink == 0
    assert Event.objects.filter(connector=connector).count() == 100
    assert set(Event.objects.filter(connector=connector).values_list("duplicate_count", flat=True)) == {2}
    assert reconciled(since=since)["clean"] is True


# Beside two slow destinations (one hangs, one drips its answer), a healthy one keeps its latency.
HEALTHY_P99_SECONDS = 2.0
ISOLATION_WORKERS = ("worker-isolation-1", "worker-isolation-2")


def _connector_to(live, url: str):
    """Another client, whose Segment is ``url``."""
    urls = {"air_wallet_url": live.sandbox("air"), "segment_base_url": url}
    connector = ConnectorFactory(settings={**AIR_SETTINGS, **urls})
    connector.out_token = token_issue(connector=connector, direction="out").plaintext
    return connector


def _workers_ready(broker_url: str, names) -> bool:
    replies = Celery(broker=broker_url, set_as_current=False).control.ping(timeout=1.0)
    answered = {hostname.split("@")[0].rpartition("-")[0] for reply in replies for hostname in reply}
    return set(names) <= answered


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[math.ceil(0.99 * len(ordered)) - 1]


def test_a_hanging_and_a_dripping_destination_do_not_slow_a_healthy_one(live, connector, own_redis):
    # given two more clients whose Segment hangs or drips its answer, and three workers of two
    # threads: each slow destination may hold its share (DESTINATION_MAX_CONCURRENCY, 2), which
    # leaves two threads to the healthy client
    since = timezone.now()
    slow = {behaviour: SlowDestination(behaviour) for behaviour in ("hang", "drip")}
    for server in slow.values():
        server.start()
    slow_connectors = {behaviour: _connector_to(live, server.url) for behaviour, server in slow.items()}
    for name in ISOLATION_WORKERS:
        live.start_worker(name)
    try:
        wait_until(lambda: _workers_ready(own_redis.url, ISOLATION_WORKERS), timeout=60, message="the extra workers")

        # when the three clients' notifications arrive together: 10 a second for the healthy one,
        # 1 a second for each slow one
        slow_finished = [
            sender_for(live, slow_connector).send_in_background(15, per_second=1)
            for slow_connector in slow_connectors.values()
        ]
        sent = sender_for(live, connector).send(200, per_second=10)
        slow_sent = [finished() for finished in slow_finished]
        counted = settle(live, connector=connector, accepted=sent.accepted, timeout=SETTLE_SECONDS)

        # then every healthy event was delivered, 99 % of them within 2 s of being accepted
        assert_nothing_lost(counted, count=200)
        assert counted.delivered == 200
        latencies = [
            (delivered_at - received_at).total_seconds()
            for delivered_at, received_at in Delivery.objects.filter(
                connector=connector, status=Delivery.Status.SUCCEEDED
            ).values_list("delivered_at", "event__received_at")
        ]
        p50, p99 = statistics.median(latencies), _p99(latencies)
        print(f"healthy: {len(latencies)} deliveries, accepted → delivered p50 {p50:.2f} s, p99 {p99:.2f} s")
        assert p99 < HEALTHY_P99_SECONDS

        # and the slow ones (still slow): accepted, none succeeded, every attempt a timeout to
        # retry; their circuits opened after 3 in a row (DESTINATION_CIRCUIT_FAILURES in conftest)
        for (behaviour, slow_connector), slow_sent_by in zip(slow_connectors.items(), slow_sent, strict=True):
            assert len(slow_sent_by.accepted) == 15, behaviour
            statuses = set(Delivery.objects.filter(connector=slow_connector).values_list("status", flat=True))
            assert Delivery.Status.SUCCEEDED not in statuses, (behaviour, statuses)
            attempts = DeliveryAttempt.objects.filter(delivery__connector=slow_connector)
            assert attempts.count() >= 3, behaviour
            assert set(attempts.values_list("outcome", flat=True)) == {"retry"}, behaviour
            messages = set(attempts.values_list("error_message", flat=True))
            assert all(message.startswith("No answer in time") for message in messages), (behaviour, messages)
            circuit = DestinationCircuit.objects.get(connector=slow_connector, destination="segment")
            print(f"{behaviour}: {slow[behaviour].requests} requests, {attempts.count()} attempts, {circuit}")
            assert circuit.state in ("open", "half_open"), behaviour
            assert circuit.consecutive_failures >= 3, behaviour
            assert circuit.opened_at is not None, behaviour
        assert reconciled(since=since)["clean"] is True
    finally:
        for name in ISOLATION_WORKERS:
            live.kill(name, signal.SIGTERM)
        for server in slow.values():
            server.stop()
