import uuid
from datetime import UTC, datetime, timedelta

import pytest

from rewards.models import RewardLedgerEntry, TriggerWindow
from rewards.services import (
    ALREADY_PROCESSED,
    reward_follow_up_link,
    reward_outcome_record,
    reward_request_record,
    trigger_references_check,
    trigger_window_claim,
)
from tests.rewards.factories import (
    AirDeliveryFactory,
    ConnectorFactory,
    NotificationEventFactory,
    RewardLedgerEntryFactory,
    TriggerEventFactory,
    TriggerReferenceFactory,
)

pytestmark = pytest.mark.django_db

# What AIR returned for a trigger, as the AIR kind reads its answer (connectors.kinds.air_segment.rewards).
AIR_AWARD = {"transaction_id": "442092686", "points": 400, "coupons": ()}


def check(connector, references, *, refuse_unknown=True):
    return trigger_references_check(connector_id=connector.pk, references=references, refuse_unknown=refuse_unknown)


def request_record(delivery, *, identity="1111111111111131", triggers=("A0001",)):
    return reward_request_record(
        connector_id=delivery.connector.pk,
        request_event_id=delivery.event.pk,
        delivery_id=delivery.pk,
        identity=identity,
        triggers=triggers,
        reference=delivery.idempotency_key,
    )


def outcome_record(delivery, **kwargs):
    return reward_outcome_record(delivery_id=delivery.pk, status_code=delivery.last_status_code, **kwargs)


def follow_up_link(notification, *, reference, **kwargs):
    return reward_follow_up_link(
        client_id=notification.connector.client_id, follow_up_event_id=notification.pk, reference=reference, **kwargs
    )


# trigger_references_check


def test_check_accepts_every_reference_when_the_connector_does_not_refuse_unknown_ones():
    connector = ConnectorFactory()

    unknown = check(connector, ["A0001", "NOPE"], refuse_unknown=False)

    assert unknown == []


def test_check_accepts_references_registered_active_for_the_connector():
    connector = ConnectorFactory()
    TriggerReferenceFactory(connector=connector, reference="A0001")
    TriggerReferenceFactory(connector=connector, reference="P0001")

    unknown = check(connector, ["A0001", "P0001"])

    assert unknown == []


def test_check_refuses_unregistered_inactive_and_other_connectors_references_once_each_in_order():
    connector = ConnectorFactory()
    TriggerReferenceFactory(connector=connector, reference="A0001")
    TriggerReferenceFactory(connector=connector, reference="OLD1", active=False)
    TriggerReferenceFactory(reference="ELSEWHERE")

    unknown = check(connector, ["NEW9", "A0001", "OLD1", "ELSEWHERE", "NEW9"])

    assert unknown == ["NEW9", "OLD1", "ELSEWHERE"]


# reward_request_record


def test_request_record_opens_a_requested_entry_with_the_reference_actually_sent():
    event = TriggerEventFactory(identity="")
    delivery = AirDeliveryFactory(event=event, idempotency_key="ee-connect-seg-123")

    entry = request_record(delivery, identity="1111111111111131", triggers=("A0001", "P0001"))

    entry.refresh_from_db()
    assert entry.connector == event.connector
    assert entry.identity == "1111111111111131"
    assert entry.trigger_references == ["A0001", "P0001"]
    assert entry.wallet_transaction_reference == "ee-connect-seg-123"
    assert entry.status == RewardLedgerEntry.Status.REQUESTED
    assert entry.request_event == event
    assert entry.delivery == delivery
    assert entry.requested_at is not None
    assert (entry.settled_at, entry.linked_at, entry.follow_up_event) == (None, None, None)
    assert (entry.wallet_transaction_id, entry.points_awarded, entry.coupons_awarded) == ("", None, [])


def test_request_record_is_idempotent_per_delivery():
    delivery = AirDeliveryFactory()
    first = request_record(delivery)

    second = request_record(delivery)

    assert second.pk == first.pk
    assert RewardLedgerEntry.objects.count() == 1


def test_request_record_opens_one_entry_per_delivery():
    delivery = AirDeliveryFactory()
    other = AirDeliveryFactory(idempotency_key="another-reference")

    request_record(delivery)
    request_record(other)

    assert sorted(RewardLedgerEntry.objects.values_list("wallet_transaction_reference", flat=True)) == sorted(
        [delivery.idempotency_key, "another-reference"]
    )


# reward_outcome_record


def test_outcome_record_awards_what_air_returned():
    entry = RewardLedgerEntryFactory()
    coupons = [{"account_id": "4103598394", "campaign_id": "100641681"}]

    settled = outcome_record(
        entry.delivery, succeeded=True, transaction_id="442092686", points=400, coupons=coupons
    )

    entry.refresh_from_db()
    assert settled == entry
    assert entry.status == RewardLedgerEntry.Status.AWARDED
    assert entry.wallet_transaction_id == "442092686"
    assert entry.points_awarded == 400
    assert entry.coupons_awarded == coupons
    assert entry.reason == ""
    assert entry.settled_at is not None


def test_outcome_record_awards_without_a_result_when_air_returned_nothing_to_keep():
    entry = RewardLedgerEntryFactory()

    outcome_record(entry.delivery, succeeded=True)

    entry.refresh_from_db()
    assert entry.status == RewardLedgerEntry.Status.AWARDED
    assert (entry.wallet_transaction_id, entry.points_awarded, entry.coupons_awarded) == ("", None, [])


def test_outcome_record_awards_a_reference_air_already_held_saying_so():
    entry = RewardLedgerEntryFactory()
    entry.delivery.last_status_code = 400  # AIR refused the repeated reference; the kind read it as success

    outcome_record(entry.delivery, succeeded=True, already_processed=True)

    entry.refresh_from_db()
    assert (entry.status, entry.reason) == (RewardLedgerEntry.Status.AWARDED, ALREADY_PROCESSED)
    assert (entry.wallet_transaction_id, entry.points_awarded, entry.coupons_awarded) == ("", None, [])


def test_outcome_record_marks_refused_when_air_answered_with_a_client_error():
    entry = RewardLedgerEntryFactory()
    entry.delivery.last_status_code = 404
    entry.delivery.save()

    outcome_record(entry.delivery, succeeded=False, reason="AIR knows no wallet with this identity (404).")

    entry.refresh_from_db()
    assert entry.status == RewardLedgerEntry.Status.REFUSED
    assert entry.reason == "AIR knows no wallet with this identity (404)."
    assert entry.settled_at is not None
    assert (entry.wallet_transaction_id, entry.points_awarded, entry.coupons_awarded) == ("", None, [])


@pytest.mark.parametrize("last_status_code", [None, 500, 503])
def test_outcome_record_marks_failed_when_air_never_accepted_or_refused(last_status_code):
    entry = RewardLedgerEntryFactory()
    entry.delivery.last_status_code = last_status_code
    entry.delivery.save()

    outcome_record(entry.delivery, succeeded=False, reason="AIR did not answer in 12 attempts.")

    entry.refresh_from_db()
    assert entry.status == RewardLedgerEntry.Status.FAILED
    assert entry.reason == "AIR did not answer in 12 attempts."
    assert (entry.wallet_transaction_id, entry.points_awarded) == ("", None)


def test_outcome_record_awards_a_failed_entry_after_a_manual_retry_succeeds():
    entry = RewardLedgerEntryFactory(status=RewardLedgerEntry.Status.FAILED, reason="timed out")

    outcome_record(entry.delivery, succeeded=True, **AIR_AWARD)

    entry.refresh_from_db()
    assert (entry.status, entry.reason, entry.points_awarded) == (RewardLedgerEntry.Status.AWARDED, "", 400)


def test_outcome_record_never_takes_an_award_back():
    entry = RewardLedgerEntryFactory()
    outcome_record(entry.delivery, succeeded=True, **AIR_AWARD)
    entry.refresh_from_db()
    settled_at = entry.settled_at

    returned = outcome_record(entry.delivery, succeeded=False, reason="cancelled")

    entry.refresh_from_db()
    assert returned == entry
    assert (entry.status, entry.reason, entry.points_awarded) == (RewardLedgerEntry.Status.AWARDED, "", 400)
    assert entry.settled_at == settled_at


def test_outcome_record_keeps_points_already_filled_by_the_notification():
    entry = RewardLedgerEntryFactory(points_awarded=400, coupons_awarded=[{"account_id": "1"}])

    outcome_record(entry.delivery, succeeded=True, transaction_id="9", points=None)

    entry.refresh_from_db()
    assert (entry.points_awarded, entry.coupons_awarded) == (400, [{"account_id": "1"}])


def test_outcome_record_returns_none_for_a_delivery_without_a_ledger_entry():
    delivery = AirDeliveryFactory()

    returned = outcome_record(delivery, succeeded=True, **AIR_AWARD)

    assert returned is None
    assert RewardLedgerEntry.objects.count() == 0


# reward_follow_up_link


def test_follow_up_link_links_the_notification_of_the_outbound_connector_of_the_same_client():
    entry = RewardLedgerEntryFactory(wallet_transaction_reference="PurchaseTest31a")
    outbound = ConnectorFactory(client=entry.connector.client)
    notification = NotificationEventFactory(connector=outbound)

    linked = follow_up_link(
        notification, reference="PurchaseTest31a", points=400, coupons=[{"account_id": "4103598394"}]
    )

    entry.refresh_from_db()
    assert linked == entry
    assert entry.follow_up_event == notification
    assert entry.linked_at is not None
    assert entry.points_awarded == 400
    assert entry.coupons_awarded == [{"account_id": "4103598394"}]
    assert entry.status == RewardLedgerEntry.Status.REQUESTED


def test_follow_up_link_keeps_known_awards():
    entry = RewardLedgerEntryFactory(
        wallet_transaction_reference="ref-7", points_awarded=50, coupons_awarded=[{"account_id": "1"}]
    )
    notification = NotificationEventFactory(connector=entry.connector)

    follow_up_link(notification, reference="ref-7", points=400, coupons=[])

    entry.refresh_from_db()
    assert entry.follow_up_event == notification
    assert (entry.points_awarded, entry.coupons_awarded) == (50, [{"account_id": "1"}])


def test_follow_up_link_ignores_a_reference_of_another_client():
    entry = RewardLedgerEntryFactory(wallet_transaction_reference="shared-ref")
    notification = NotificationEventFactory()

    linked = follow_up_link(notification, reference="shared-ref")

    entry.refresh_from_db()
    assert linked is None
    assert (entry.follow_up_event, entry.linked_at, entry.points_awarded) == (None, None, None)


@pytest.mark.parametrize("reference", ["", "sent-by-a-till"])
def test_follow_up_link_returns_none_for_a_trigger_not_sent_by_the_platform(reference):
    entry = RewardLedgerEntryFactory()
    notification = NotificationEventFactory(connector=entry.connector)

    linked = follow_up_link(notification, reference=reference)

    entry.refresh_from_db()
    assert linked is None
    assert (entry.follow_up_event, entry.linked_at) == (None, None)


def test_follow_up_link_keeps_the_first_notification_linked():
    entry = RewardLedgerEntryFactory(wallet_transaction_reference="ref-9")
    first = NotificationEventFactory(connector=entry.connector)
    second = NotificationEventFactory(connector=entry.connector)
    follow_up_link(first, reference="ref-9")
    entry.refresh_from_db()
    linked_at = entry.linked_at

    returned = follow_up_link(second, reference="ref-9", points=5)

    entry.refresh_from_db()
    assert returned == entry
    assert (entry.follow_up_event, entry.linked_at, entry.points_awarded) == (first, linked_at, None)


def test_follow_up_link_picks_the_latest_request_when_a_reference_was_sent_twice():
    older = RewardLedgerEntryFactory(wallet_transaction_reference="again")
    newer = RewardLedgerEntryFactory(
        wallet_transaction_reference="again",
        connector=older.connector,
        delivery__event__connector=older.connector,
        requested_at=older.requested_at.replace(year=older.requested_at.year + 1),
    )
    notification = NotificationEventFactory(connector=older.connector)

    follow_up_link(notification, reference="again")

    older.refresh_from_db()
    newer.refresh_from_db()
    assert (older.follow_up_event, newer.follow_up_event) == (None, notification)


# trigger_window_claim

NOON = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def claim(connector, *, key="k1", at=NOON, seconds=30, event=None):
    return trigger_window_claim(
        connector_id=connector.pk, key=key, seconds=seconds, now=at, event_public_id=event or uuid.uuid4()
    )


def test_window_counts_the_first_and_refuses_repeats_until_it_ends():
    connector = ConnectorFactory()
    counted = uuid.uuid4()

    assert claim(connector, event=counted) is None
    repeat = claim(connector, at=NOON + timedelta(seconds=29))

    assert (repeat.counted_event, repeat.counted_until) == (counted, NOON + timedelta(seconds=30))
    # 30 s after the first the window has ended: the next one counts and opens its own.
    later = uuid.uuid4()
    assert claim(connector, at=NOON + timedelta(seconds=30), event=later) is None
    window = TriggerWindow.objects.get()
    assert (window.counted_event, window.counted_until) == (later, NOON + timedelta(seconds=60))


def test_a_repeat_does_not_extend_the_window():
    connector = ConnectorFactory()
    claim(connector)
    claim(connector, at=NOON + timedelta(seconds=20))

    assert TriggerWindow.objects.get().counted_until == NOON + timedelta(seconds=30)
    assert claim(connector, at=NOON + timedelta(seconds=30)) is None


def test_windows_are_per_connector_and_key():
    connector, other = ConnectorFactory(), ConnectorFactory()
    claim(connector)

    assert claim(connector, key="k2") is None
    assert claim(other) is None
    assert TriggerWindow.objects.count() == 3
