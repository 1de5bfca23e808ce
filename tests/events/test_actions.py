"""Support actions as services: retry now, cancel, pause and resume, replay."""

import copy
import uuid

import pytest
from django.contrib.auth import get_user_model

from connectors.kinds.base import Direction
from connectors.kinds.registry import kind_get
from connectors.models import Connector
from connectors.services import connector_state_set
from events.console.actions import deliveries_cancel, deliveries_retry_now, event_replay
from events.delivery.connector_state import held_release
from events.delivery.maintenance import deliveries_sweep
from events.intake.receive import events_receive
from events.models import Delivery, Event
from rewards.models import RewardLedgerEntry
from tests.connectors.factories import ConnectorFactory
from tests.events.factories import DeliveryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def support_user():
    return get_user_model().objects.create_user("sam", password="x")


def test_retry_now_makes_failed_deliveries_due_and_records_who(support_user, hints, django_capture_on_commit_callbacks):
    failed = DeliveryFactory(status=Delivery.Status.FAILED, next_attempt_at=None, attempts=3)
    succeeded = DeliveryFactory(status=Delivery.Status.SUCCEEDED)

    with django_capture_on_commit_callbacks(execute=True):
        count = deliveries_retry_now(delivery_ids=[failed.pk, succeeded.pk], user=support_user)

    failed.refresh_from_db()
    assert count == 1
    assert failed.status == Delivery.Status.PENDING
    assert failed.next_trigger == "manual"
    assert failed.next_triggered_by == support_user
    assert hints == [("events.deliveries_attempt", [[failed.pk]])]
    assert Delivery.objects.get(pk=succeeded.pk).status == Delivery.Status.SUCCEEDED


def test_cancel_stops_pending_and_retrying_only(support_user):
    retrying = DeliveryFactory(status=Delivery.Status.RETRYING)
    delivered = DeliveryFactory(status=Delivery.Status.SUCCEEDED)

    count = deliveries_cancel(delivery_ids=[retrying.pk, delivered.pk], user=support_user)

    retrying.refresh_from_db()
    assert count == 1
    assert retrying.status == Delivery.Status.CANCELLED
    assert retrying.next_attempt_at is None
    assert "Cancelled by sam" in retrying.last_error
    assert Delivery.objects.get(pk=delivered.pk).status == Delivery.Status.SUCCEEDED


def test_pause_holds_due_deliveries_and_resume_releases_them_at_a_controlled_rate(support_user):
    connector = ConnectorFactory()
    due = [DeliveryFactory(event__connector=connector) for _ in range(3)]

    paused = connector_state_set(connector=connector, state=Connector.State.PAUSED, user=support_user)
    connector.refresh_from_db()
    assert (paused.held, paused.released) == (3, 0)
    assert connector.state == Connector.State.PAUSED
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.Status.HELD}

    resumed = connector_state_set(connector=connector, state=Connector.State.ACTIVE, user=support_user, per_second=2)

    connector.refresh_from_db()
    rows = list(Delivery.objects.filter(pk__in=[d.pk for d in due]).order_by("created_at", "pk"))
    assert (resumed.held, resumed.released) == (0, 3)
    assert connector.state == Connector.State.ACTIVE
    assert {row.status for row in rows} == {Delivery.Status.PENDING}
    assert {row.next_trigger for row in rows} == {"resume"}
    spread = (max(r.next_attempt_at for r in rows) - min(r.next_attempt_at for r in rows)).total_seconds()
    assert spread == 1


def test_replay_makes_new_deliveries_with_fresh_message_ids_and_keeps_the_old_ones(support_user):
    connector = ConnectorFactory()
    sample = copy.deepcopy(kind_get("air_segment").samples[Direction.OUT]["POSCONNECT.WALLET.SETTLE"])
    sample["headers"]["eesEventId"] = str(uuid.uuid4())
    [received] = events_receive(connector=connector, direction="out", payload=sample)
    original = received.event.deliveries.get()

    [replayed] = event_replay(event=received.event, user=support_user)

    assert Delivery.objects.filter(event=received.event).count() == 2
    assert replayed.replay_of == original
    assert "Replayed by sam" in replayed.notes
    old_ids = {m["messageId"] for m in original.body["batch"]}
    new_ids = {m["messageId"] for m in replayed.body["batch"]}
    assert old_ids.isdisjoint(new_ids)
    assert [m.get("event") for m in replayed.body["batch"]] == [m.get("event") for m in original.body["batch"]]
    assert Event.objects.get(pk=received.event.pk).replayed_at is not None


def test_a_replayed_reward_request_is_recorded_in_the_reward_ledger(support_user):
    connector = ConnectorFactory()
    trigger = copy.deepcopy(kind_get("air_segment").samples[Direction.IN]["services/trigger"])
    [received] = events_receive(connector=connector, direction="in", payload=trigger)
    [original] = RewardLedgerEntry.objects.filter(request_event=received.event)

    [replayed] = event_replay(event=received.event, user=support_user)

    entries = RewardLedgerEntry.objects.filter(request_event=received.event).order_by("pk")
    assert [entry.delivery_id for entry in entries] == [original.delivery_id, replayed.pk]
    # The replay asks AIR for the same reward under the same reference, so AIR cannot grant it twice.
    assert entries[1].wallet_transaction_reference == original.wallet_transaction_reference


def test_enabling_a_paused_connector_releases_its_held_deliveries_at_once(support_user, hints):
    connector = ConnectorFactory()
    held = [DeliveryFactory(event__connector=connector) for _ in range(2)]
    connector_state_set(connector=connector, state=Connector.State.PAUSED, user=support_user)
    assert deliveries_sweep().released == 0  # still paused: held stays held

    enabled = connector_state_set(connector=connector, state=Connector.State.ACTIVE, user=support_user)

    # Released by the state change itself, not left for the sweeper.
    assert (enabled.changed, enabled.released) == (True, 2)
    rows = Delivery.objects.filter(pk__in=[d.pk for d in held])
    assert {(row.status, row.next_trigger) for row in rows} == {(Delivery.Status.PENDING, "resume")}
    assert deliveries_sweep().released == 0


def test_disabling_holds_due_deliveries_and_enabling_releases_them(support_user):
    connector = ConnectorFactory()
    due = DeliveryFactory(event__connector=connector)
    failed = DeliveryFactory(event__connector=connector, status=Delivery.Status.FAILED, next_attempt_at=None)

    disabled = connector_state_set(connector=connector, state=Connector.State.DISABLED, user=support_user)
    held_status = Delivery.objects.get(pk=due.pk).status
    enabled = connector_state_set(connector=connector, state=Connector.State.ACTIVE, user=support_user)

    assert (disabled.held, held_status) == (1, Delivery.Status.HELD)
    assert enabled.released == 1
    assert Delivery.objects.get(pk=due.pk).status == Delivery.Status.PENDING
    assert Delivery.objects.get(pk=failed.pk).status == Delivery.Status.FAILED  # only what was due is held


def test_resume_on_an_active_connector_releases_what_it_still_holds(support_user):
    connector = ConnectorFactory()
    delivery = DeliveryFactory(event__connector=connector, status=Delivery.Status.HELD, next_attempt_at=None)

    resumed = connector_state_set(connector=connector, state=Connector.State.ACTIVE, user=support_user)

    assert (resumed.changed, resumed.released) == (False, 1)
    assert Delivery.objects.get(pk=delivery.pk).status == Delivery.Status.PENDING


def test_deliveries_held_after_their_connector_became_active_are_released_by_the_sweeper(hints):
    # An event received while the connector was being enabled: stored held, after the release.
    connector = ConnectorFactory()
    held = [
        DeliveryFactory(event__connector=connector, status=Delivery.Status.HELD, next_attempt_at=None)
        for _ in range(2)
    ]

    result = deliveries_sweep()

    assert result.released == 2
    rows = Delivery.objects.filter(pk__in=[d.pk for d in held])
    assert {(row.status, row.next_trigger) for row in rows} == {(Delivery.Status.PENDING, "resume")}


def test_deliveries_held_for_unreadable_secrets_stay_held_until_the_secrets_can_be_read(settings, hints):
    connector = ConnectorFactory()
    delivery = DeliveryFactory(event__connector=connector, status=Delivery.Status.HELD, next_attempt_at=None)
    Connector.objects.filter(pk=connector.pk).update(secrets_encrypted="not-a-token-any-key-decrypts")

    assert held_release(connector=Connector.objects.get(pk=connector.pk)) == 0

    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.HELD
