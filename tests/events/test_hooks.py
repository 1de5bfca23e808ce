"""The pipeline's hand-over to the reward ledger: it asks the event's kind what is the ledger's and
passes on the plain values the kind reads. A kind without reward handling never reaches the ledger."""

import pytest

from connectors.kinds.base import IncomingEvent
from connectors.kinds.registry import kind_get
from events.delivery import hooks
from events.models import Event
from rewards.models import RewardLedgerEntry, TriggerWindow
from tests.connectors.factories import ConnectorFactory as AirConnectorFactory
from tests.events.perkville import PERKVILLE_SETTINGS
from tests.rewards.factories import (
    AirDeliveryFactory,
    ConnectorFactory,
    NotificationEventFactory,
    RewardLedgerEntryFactory,
    TriggerEventFactory,
    TriggerReferenceFactory,
)

pytestmark = pytest.mark.django_db


def incoming_of(event):
    """An event as its kind parsed it, before it is stored."""
    return IncomingEvent(
        event_type=event.event_type,
        source_event_id=event.source_event_id,
        identity=event.identity,
        occurred_at=None,
        context=event.context,
    )


# validate


def refusing_connector():
    return ConnectorFactory(settings={"refuse_unknown_triggers": True})


def test_a_connector_that_refuses_unknown_triggers_names_each_unknown_one_where_segment_sent_it():
    connector = refusing_connector()
    TriggerReferenceFactory(connector=connector, reference="A1")
    # "A1,,NEW9": the empty element 1 is refused by the kind, the unknown NEW9 was element 2.
    event = TriggerEventFactory.build(
        connector=connector,
        context={
            "identity_value": "CUST-1",
            "trigger_references": ["A1", "NEW9"],
            "refused_triggers": [{"index": 1, "reason": "empty"}],
            "wallet_transaction_reference": None,
        },
    )

    errors = hooks.validate(connector=connector, incoming=incoming_of(event))

    assert [(error.path, error.message) for error in errors] == [
        ("body.triggers[2].reference", "Unknown trigger reference 'NEW9' for this connector")
    ]


def test_a_connector_that_does_not_refuse_unknown_triggers_accepts_them():
    connector = ConnectorFactory()
    event = TriggerEventFactory.build(connector=connector)

    assert hooks.validate(connector=connector, incoming=incoming_of(event)) == []


# on_event_stored: a trigger request


def test_a_stored_trigger_opens_an_entry_with_the_reference_actually_sent():
    event = TriggerEventFactory(
        identity="",
        context={
            "identity_value": "1111111111111131",
            "trigger_references": ["A0001", "P0001"],
            "wallet_transaction_reference": "seg-123",
        },
    )
    delivery = AirDeliveryFactory(event=event, idempotency_key="ee-connect-seg-123")

    hooks.on_event_stored(event=event, deliveries=[delivery])

    entry = RewardLedgerEntry.objects.get()
    assert (entry.connector, entry.request_event, entry.delivery) == (event.connector, event, delivery)
    assert (entry.identity, entry.trigger_references) == ("1111111111111131", ["A0001", "P0001"])
    # The reference AIR received (the delivery's), which is what its notification will carry.
    assert entry.wallet_transaction_reference == "ee-connect-seg-123"
    assert entry.status == RewardLedgerEntry.Status.REQUESTED


def test_a_stored_trigger_is_read_with_air_style_trigger_objects_and_the_events_identity():
    event = TriggerEventFactory(identity="CUST-1", context={"trigger_references": [{"reference": "A0001"}]})
    delivery = AirDeliveryFactory(event=event)

    hooks.on_event_stored(event=event, deliveries=[delivery])

    entry = RewardLedgerEntry.objects.get()
    assert (entry.identity, entry.trigger_references) == ("CUST-1", ["A0001"])


# on_event_stored: AIR's SERVICE.TRIGGER notification


def test_a_notification_naming_the_reference_in_its_transaction_is_linked_keeping_known_awards():
    entry = RewardLedgerEntryFactory(
        wallet_transaction_reference="ref-7", points_awarded=50, coupons_awarded=[{"account_id": "1"}]
    )
    notification = NotificationEventFactory(
        connector=entry.connector,
        context={"transaction": {"reference": "ref-7"}, "awarded_points": {"points": 400}, "coupons_awarded": []},
    )

    hooks.on_event_stored(event=notification, deliveries=[])

    entry.refresh_from_db()
    assert entry.follow_up_event == notification
    assert (entry.points_awarded, entry.coupons_awarded) == (50, [{"account_id": "1"}])


def test_a_notification_giving_points_as_an_awarded_points_object_fills_them():
    entry = RewardLedgerEntryFactory(wallet_transaction_reference="ref-8")
    notification = NotificationEventFactory(
        connector=entry.connector,
        context={"wallet_transaction_reference": "ref-8", "awarded_points": {"points": 400, "accountId": "4"}},
    )

    hooks.on_event_stored(event=notification, deliveries=[])

    entry.refresh_from_db()
    assert entry.points_awarded == 400


def test_a_notification_is_read_as_the_air_parser_writes_its_context():
    entry = RewardLedgerEntryFactory(wallet_transaction_reference="PurchaseTest31a")
    coupon = {"account_id": "4103598395", "campaign_id": "100641682", "type": "ECOUPON", "value": None}
    notification = NotificationEventFactory(
        connector=entry.connector,
        context={
            "event_name": "SERVICE.TRIGGER",
            "transaction": {"reference": "PurchaseTest31a", "type": "BEHAVIOURAL_ACTION_POINTS"},
            "points_earned": 400,
            "awarded_points": {"points": 400, "account_id": "4103598394", "campaign_id": "100641681"},
            "coupons_awarded": [coupon],
        },
    )

    hooks.on_event_stored(event=notification, deliveries=[])

    entry.refresh_from_db()
    assert (entry.follow_up_event, entry.points_awarded, entry.coupons_awarded) == (notification, 400, [coupon])


def test_a_notification_without_a_reference_links_nothing():
    entry = RewardLedgerEntryFactory()
    notification = NotificationEventFactory(connector=entry.connector, context={})

    hooks.on_event_stored(event=notification, deliveries=[])

    entry.refresh_from_db()
    assert (entry.follow_up_event, entry.linked_at) == (None, None)


# on_delivery_finished


def test_airs_answer_settles_the_entry_with_what_it_awarded():
    entry = RewardLedgerEntryFactory()
    coupons = [{"account_id": "4103598394", "campaign_id": "100641681"}]
    entry.delivery.last_status_code = 200

    hooks.on_delivery_finished(
        delivery=entry.delivery,
        succeeded=True,
        reason="",
        result={"wallet_transaction_id": "442092686", "points": 400, "coupons": coupons},
    )

    entry.refresh_from_db()
    assert (entry.status, entry.wallet_transaction_id, entry.points_awarded, entry.coupons_awarded) == (
        RewardLedgerEntry.Status.AWARDED,
        "442092686",
        400,
        coupons,
    )


def test_an_air_client_error_settles_the_entry_as_refused():
    entry = RewardLedgerEntryFactory()
    entry.delivery.last_status_code = 404  # the caller sets the attempt's status before reporting

    hooks.on_delivery_finished(
        delivery=entry.delivery, succeeded=False, reason="identity 1111 not found in AIR", result=None
    )

    entry.refresh_from_db()
    assert (entry.status, entry.reason) == (RewardLedgerEntry.Status.REFUSED, "identity 1111 not found in AIR")


# A kind without reward handling


def test_which_events_may_have_reward_bookkeeping_is_what_a_kind_declares():
    assert hooks.on_event_stored_wanted(direction="in", event_type="services/trigger") is True
    assert hooks.on_event_stored_wanted(direction="out", event_type="SERVICE.TRIGGER") is True
    assert hooks.on_event_stored_wanted(direction="out", event_type="services/trigger") is False
    assert hooks.on_event_stored_wanted(direction="in", event_type="track") is False


def test_a_kind_without_reward_handling_never_touches_the_ledger(django_assert_num_queries):
    # given a Perkville connector, whose kind declares no reward handling, set as an AIR connector
    # that refuses unknown triggers and counts repeats once, and events named and sent as AIR's
    # reward traffic: a trigger repeating one stored under its reference, and its notification
    connector = AirConnectorFactory(
        kind="segment_perkville",
        settings={**PERKVILLE_SETTINGS, "refuse_unknown_triggers": True, "trigger_dedupe_window_seconds": 60},
    )
    assert kind_get(connector.kind).rewards is None
    context = {"identity_value": "C", "trigger_references": ["X"], "wallet_transaction_reference": "r"}
    TriggerEventFactory(connector=connector, source_event_id="r", context=context, status=Event.Status.TRANSLATED)
    request = TriggerEventFactory(connector=connector, context=context, status=Event.Status.TRANSLATED)
    delivery = AirDeliveryFactory(event=request, last_status_code=200)
    notification = NotificationEventFactory(connector=connector, context={"wallet_transaction_reference": "r"})
    RewardLedgerEntryFactory(wallet_transaction_reference="r", connector=connector, delivery__event=request)

    # when the pipeline hands them over, then no query is made
    with django_assert_num_queries(0):
        errors = hooks.validate(connector=connector, incoming=incoming_of(request))
        repeat = hooks.repeat_suppress(event=request)
        hooks.on_event_stored(event=request, deliveries=[delivery])
        hooks.on_event_stored(event=notification, deliveries=[])
        hooks.on_delivery_finished(delivery=delivery, succeeded=True, reason="", result={"points": 5})

    # and nothing was refused, suppressed, recorded, linked or settled
    assert (errors, repeat, request.status) == ([], False, Event.Status.TRANSLATED)
    entry = RewardLedgerEntry.objects.get()
    assert (entry.status, entry.follow_up_event, entry.points_awarded) == (
        RewardLedgerEntry.Status.REQUESTED,
        None,
        None,
    )
    assert not TriggerWindow.objects.exists()
