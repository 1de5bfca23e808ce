"""Reconciliation: counts by state for a window, and every kind of orphan found and named."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from connectors.models import Connector
from events.delivery.reconcile import Orphan, events_reconcile
from events.models import Delivery, Event
from tests.connectors.factories import ConnectorFactory

pytestmark = pytest.mark.django_db

NOW = timezone.now()
HOUR = timedelta(hours=1)


def event_make(
    *, connector, number: int, status=Event.Status.TRANSLATED, error="", received_at=None
) -> Event:
    return Event.objects.create(
        connector=connector,
        direction="out",
        event_type="SERVICE.WALLET.ACCOUNTS.CREATE",
        source_event_id=f"source-{number}",
        received_at=received_at or NOW - timedelta(minutes=10),
        status=status,
        error=error,
    )


def delivery_make(
    *, event: Event, status=Delivery.Status.SUCCEEDED, next_attempt_at=None, claim_expires_at=None
):
    return Delivery.objects.create(
        event=event,
        connector=event.connector,
        destination="segment",
        url="http://127.0.0.1/sandbox/segment/v1/batch",
        idempotency_key=f"key-{event.source_event_id}",
        status=status,
        next_attempt_at=next_attempt_at,
        claim_expires_at=claim_expires_at,
        created_at=event.received_at,
    )


@pytest.fixture
def connector():
    return ConnectorFactory()


def test_a_settled_window_is_clean_and_counted(connector):
    # given one event of each settled shape
    delivered = event_make(connector=connector, number=1)
    delivery_make(event=delivered)
    retrying = event_make(connector=connector, number=2)
    delivery_make(event=retrying, status=Delivery.Status.RETRYING, next_attempt_at=NOW + HOUR)
    in_flight = event_make(connector=connector, number=3)
    delivery_make(event=in_flight, status=Delivery.Status.DELIVERING, claim_expires_at=NOW + HOUR)
    held = event_make(connector=ConnectorFactory(state=Connector.State.PAUSED), number=4)
    delivery_make(event=held, status=Delivery.Status.HELD)
    event_make(connector=connector, number=5, status=Event.Status.IGNORED, error="Not a type we send")
    failed = event_make(connector=connector, number=6, status=Event.Status.FAILED, error="Mapping rule broke")
    delivery_make(event=failed, status=Delivery.Status.FAILED)

    # when
    report = events_reconcile(since=NOW - HOUR, until=NOW)

    # then
    assert report.clean
    assert report.orphans == []
    assert report.events == {
        "total": 6,
        "accepted": 0,
        "ignored": 1,
        "translated": 4,
        "failed": 1,
        "refused": 0,
        "orphaned": 0,
    }
    assert report.deliveries == {
        "total": 5,
        "succeeded": 1,
        "failed": 1,
        "cancelled": 0,
        "scheduled": 1,
        "in_flight": 1,
        "held": 1,
        "orphaned": 0,
    }


def test_every_kind_of_orphan_is_found_with_its_reason(connector):
    # given
    never_translated = event_make(connector=connector, number=1, status=Event.Status.ACCEPTED)
    silent_failure = event_make(connector=connector, number=2, status=Event.Status.FAILED)
    no_delivery = event_make(connector=connector, number=3)
    unscheduled = delivery_make(
        event=event_make(connector=connector, number=4), status=Delivery.Status.PENDING
    )
    unclaimed = delivery_make(
        event=event_make(connector=connector, number=5), status=Delivery.Status.DELIVERING
    )

    # when
    report = events_reconcile(since=NOW - HOUR, until=NOW)

    # then
    assert not report.clean
    assert report.orphan_count == 5
    assert report.orphans == [
        Orphan("event", never_translated.pk, "Accepted but never translated"),
        Orphan("event", silent_failure.pk, "Failed or ignored without a reason"),
        Orphan("event", no_delivery.pk, "Translated but has no delivery"),
        Orphan("delivery", unscheduled.pk, "Due but has no next attempt time"),
        Orphan("delivery", unclaimed.pk, "Delivering without a claim"),
    ]


def test_events_outside_the_window_are_not_counted(connector):
    # given an orphan from two hours ago
    event_make(connector=connector, number=1, status=Event.Status.ACCEPTED, received_at=NOW - 2 * HOUR)

    # when
    report = events_reconcile(since=NOW - HOUR, until=NOW)

    # then
    assert report.clean
    assert report.events["total"] == 0
    assert report.deliveries["total"] == 0


def test_the_command_prints_json_and_exits_zero_when_clean(connector):
    # given
    delivery_make(event=event_make(connector=connector, number=1))
    out = StringIO()

    # when
    call_command("events_reconcile", "--since", "1h", "--json", stdout=out)

    # then
    printed = json.loads(out.getvalue())
    assert printed["clean"] is True
    assert printed["events"]["translated"] == 1
    assert printed["deliveries"]["succeeded"] == 1
    assert printed["orphans"] == []


def test_the_command_names_orphans_and_exits_one(connector):
    # given
    orphan = event_make(connector=connector, number=1, status=Event.Status.ACCEPTED)
    out = StringIO()

    # when
    with pytest.raises(SystemExit) as exited:
        call_command("events_reconcile", "--since", "1h", stdout=out)

    # then
    assert exited.value.code == 1
    assert f"event {orphan.pk}: Accepted but never translated" in out.getvalue()
    assert "1 orphaned:" in out.getvalue()


def test_the_command_refuses_a_window_that_ends_before_it_starts():
    # when / then
    with pytest.raises(CommandError, match="--until must be after --since"):
        call_command("events_reconcile", "--since", "1h", "--until", "2h", stdout=StringIO())


def test_the_command_refuses_a_moment_it_cannot_read():
    # when / then
    with pytest.raises(CommandError, match="neither a duration like 2h nor an ISO date and time"):
        call_command("events_reconcile", "--since", "yesterday", stdout=StringIO())


def test_a_delivery_held_while_its_connector_is_active_is_an_orphan(connector):
    # given a delivery held by a pause the connector left without Resume (the sweeper releases it)
    stranded = delivery_make(event=event_make(connector=connector, number=1), status=Delivery.Status.HELD)

    # when
    report = events_reconcile(since=NOW - HOUR, until=NOW)

    # then
    assert report.orphans == [
        Orphan("delivery", stranded.pk, "Held while its connector is active (the sweeper releases it)")
    ]
