"""Fault injection: each scenario sends a known number of uniquely identified events while something
breaks, then proves that every accepted event was delivered or failed with a reason, none was lost,
and the reconciliation finds no orphan. Run with ``make faults``."""

import random
import signal
import time

import pytest
from django.db import connections
from django.utils import timezone

from events.models import Event
from tests.faults.scenario import Sender, reconciled, settle

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
