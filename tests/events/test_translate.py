"""The worker's half of receiving: accepted events become their deliveries, once, all or nothing."""

import copy
import uuid

import pytest
from django.db import DatabaseError

from connectors.kinds.base import Direction
from connectors.kinds.registry import kind_get
from connectors.models import Connector
from events.models import Delivery, Event
from events.services.receive import events_receive
from events.services.translate import events_translate
from tests.connectors.factories import ConnectorFactory

pytestmark = pytest.mark.django_db
SAMPLES = kind_get("air_segment").samples[Direction.OUT]


def accepted(connector, name="POSCONNECT.WALLET.SETTLE", **header_changes) -> Event:
    """An event as the webhook leaves it: stored, accepted, its hint not yet carried out."""
    body = copy.deepcopy(SAMPLES[name])
    body["headers"]["eesEventId"] = str(uuid.uuid4())
    body["headers"].update(header_changes)
    [received] = events_receive(connector=connector, direction="out", payload=body)
    return received.event


@pytest.fixture
def connector():
    return ConnectorFactory()


def test_accepted_events_are_translated_into_due_deliveries_hinted_after_commit(
    connector, hints, django_capture_on_commit_callbacks
):
    settle, created = accepted(connector), accepted(connector, "SERVICE.WALLET.ACCOUNTS.CREATE")
    assert Event.objects.get(pk=settle.pk).status == Event.Status.ACCEPTED

    with django_capture_on_commit_callbacks(execute=True):
        due = events_translate(event_ids=[settle.pk, created.pk])

    deliveries = Delivery.objects.order_by("pk")
    assert due == [delivery.pk for delivery in deliveries]
    assert {delivery.event_id for delivery in deliveries} == {settle.pk, created.pk}
    assert all(delivery.status == Delivery.Status.PENDING and delivery.enqueued_at for delivery in deliveries)
    settle_body = deliveries.get(event=settle).body
    assert [m["event"] for m in settle_body["batch"] if m["type"] == "track"][-1] == "EE Loyalty Purchase"
    for event in (settle, created):
        event.refresh_from_db()
        assert (event.status, event.error, event.enqueued_at) == (Event.Status.TRANSLATED, "", None)
    assert hints == [("events.deliveries_attempt", [due])]


def test_a_second_hint_for_the_same_events_finds_nothing_to_do(connector):
    event = accepted(connector)
    events_translate(event_ids=[event.pk])

    assert events_translate(event_ids=[event.pk]) == []
    assert Delivery.objects.filter(event=event).count() == 1


def test_an_unmapped_type_is_ignored_and_a_broken_translation_failed_with_the_reason(connector, hints):
    unmapped = accepted(connector, eventName="WALLET.CONSUMER.UPDATE")
    connector.settings = {**connector.settings, "identity_type": "LOYALTY_NUMBER"}
    connector.save()
    no_identity = accepted(connector, "SERVICE.WALLET.ACCOUNTS.CREATE")

    assert events_translate(event_ids=[unmapped.pk, no_identity.pk]) == []

    unmapped.refresh_from_db()
    no_identity.refresh_from_db()
    assert unmapped.status == Event.Status.IGNORED and "WALLET.CONSUMER.UPDATE" in unmapped.error
    assert no_identity.status == Event.Status.FAILED and "LOYALTY_NUMBER" in no_identity.error
    assert not Delivery.objects.exists()
    assert hints == []


def test_an_event_whose_payload_was_pruned_before_translation_fails_visibly(connector):
    event = accepted(connector)
    Event.objects.filter(pk=event.pk).update(payload=None)

    events_translate(event_ids=[event.pk])

    event.refresh_from_db()
    assert event.status == Event.Status.FAILED
    assert event.error == "The payload was pruned before the event was translated"


def test_a_paused_connectors_deliveries_are_held_and_not_hinted(connector, hints):
    event = accepted(connector)
    Connector.objects.filter(pk=connector.pk).update(state=Connector.State.PAUSED)

    assert events_translate(event_ids=[event.pk]) == []

    assert Delivery.objects.get(event=event).status == Delivery.Status.HELD
    assert hints == []


def test_a_database_error_midway_leaves_every_event_of_the_batch_accepted(connector, monkeypatch):
    first, second = accepted(connector), accepted(connector)

    def refuse(*args, **kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr("events.services.translate.Delivery.objects.bulk_create", refuse)
    with pytest.raises(DatabaseError):
        events_translate(event_ids=[first.pk, second.pk])

    assert set(Event.objects.values_list("status", flat=True)) == {Event.Status.ACCEPTED}
    assert not Delivery.objects.exists()
