"""Beat's work: the sweeper re-sends hints for due rows and reclaims rows of dead workers; pruning."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from events.delivery.maintenance import deliveries_sweep, log_prune
from events.models import Delivery, DeliveryAttempt, Event
from rewards.models import TriggerWindow
from tests.connectors.factories import ConnectorFactory
from tests.events.factories import DeliveryAttemptFactory, DeliveryFactory, EventFactory

pytestmark = pytest.mark.django_db


def test_the_sweeper_hints_due_rows_that_have_no_live_hint(hints, settings):
    settings.DELIVERY_HINT_STALE_SECONDS = 30
    now = timezone.now()
    due = DeliveryFactory(status=Delivery.Status.RETRYING, next_attempt_at=now - timedelta(seconds=1))
    hinted_recently = DeliveryFactory(next_attempt_at=now, enqueued_at=now - timedelta(seconds=5))
    hint_lost = DeliveryFactory(next_attempt_at=now, enqueued_at=now - timedelta(seconds=31))
    DeliveryFactory(status=Delivery.Status.RETRYING, next_attempt_at=now + timedelta(minutes=5))
    DeliveryFactory(status=Delivery.Status.SUCCEEDED, next_attempt_at=None)

    result = deliveries_sweep(now=now)

    assert result.enqueued == 2
    assert [name for name, _ in hints] == ["events.deliveries_attempt"]
    assert sorted(hints[0][1][0]) == sorted([due.pk, hint_lost.pk])
    hinted_recently.refresh_from_db()
    assert hinted_recently.enqueued_at < now


def test_the_sweeper_reclaims_a_delivery_whose_worker_died(hints):
    now = timezone.now()
    delivering = {"status": Delivery.Status.DELIVERING, "attempts": 1}
    stuck = DeliveryFactory(**delivering, claim_expires_at=now - timedelta(seconds=1))
    working = DeliveryFactory(**delivering, claim_expires_at=now + timedelta(minutes=1))

    result = deliveries_sweep(now=now)

    stuck.refresh_from_db()
    working.refresh_from_db()
    assert result.reclaimed == 1
    assert stuck.status == Delivery.Status.RETRYING
    assert stuck.attempts == 1
    assert "worker stopped" in stuck.last_error
    assert working.status == Delivery.Status.DELIVERING
    assert hints == [("events.deliveries_attempt", [[stuck.pk]])]


def test_a_hint_that_cannot_be_sent_is_left_for_the_next_sweep(monkeypatch):
    def broker_down(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr("events.delivery.queue.current_app.send_task", broker_down)
    delivery = DeliveryFactory()

    result = deliveries_sweep()

    delivery.refresh_from_db()
    assert result.enqueued == 0
    assert delivery.enqueued_at is None
    assert delivery.status == Delivery.Status.PENDING


def test_pruning_keeps_failures_longer_than_successes(settings):
    settings.RETENTION_SUCCEEDED_DAYS = 7
    settings.RETENTION_FAILED_DAYS = 30
    now = timezone.now()
    old = now - timedelta(days=10)
    old_success = DeliveryAttemptFactory(
        delivery=DeliveryFactory(status=Delivery.Status.SUCCEEDED, created_at=old, event=EventFactory(received_at=old))
    ).delivery
    old_failure = DeliveryAttemptFactory(
        delivery=DeliveryFactory(status=Delivery.Status.FAILED, created_at=old, event=EventFactory(received_at=old))
    ).delivery
    recent_success = DeliveryAttemptFactory(delivery=DeliveryFactory(status=Delivery.Status.SUCCEEDED)).delivery
    ancient_failure = DeliveryFactory(
        status=Delivery.Status.FAILED,
        created_at=now - timedelta(days=40),
        event=EventFactory(received_at=now - timedelta(days=40)),
    )
    pending_old = DeliveryFactory(status=Delivery.Status.RETRYING, created_at=old, event=EventFactory(received_at=old))

    result = log_prune(now=now, batch_size=1)

    remaining = set(Delivery.objects.values_list("pk", flat=True))
    assert remaining == {old_failure.pk, recent_success.pk, pending_old.pk}
    assert result.deliveries == 2
    assert result.attempts == 1
    assert not Event.objects.filter(pk__in=[old_success.event_id, ancient_failure.event_id]).exists()
    assert DeliveryAttempt.objects.filter(delivery=old_failure).exists()


def test_pruning_deletes_trigger_repeat_windows_that_ended_over_a_day_ago():
    now = timezone.now()
    connector = ConnectorFactory()
    ended = TriggerWindow.objects.create(
        connector=connector, key="ended", counted_until=now - timedelta(days=1, seconds=1), counted_event=uuid.uuid4()
    )
    recent = TriggerWindow.objects.create(
        connector=connector, key="recent", counted_until=now - timedelta(hours=23), counted_event=uuid.uuid4()
    )

    result = log_prune(now=now)

    assert result.trigger_windows == 1
    assert list(TriggerWindow.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not TriggerWindow.objects.filter(pk=ended.pk).exists()


def test_pruning_keeps_refused_events_as_long_as_failed_ones(settings):
    settings.RETENTION_SUCCEEDED_DAYS = 7
    settings.RETENTION_FAILED_DAYS = 30
    now = timezone.now()
    refused = EventFactory(received_at=now - timedelta(days=10), status=Event.Status.REFUSED, error="No userId")
    ancient = EventFactory(received_at=now - timedelta(days=40), status=Event.Status.REFUSED, error="No userId")

    log_prune(now=now)

    assert list(Event.objects.filter(pk__in=[refused.pk, ancient.pk]).values_list("pk", flat=True)) == [refused.pk]
