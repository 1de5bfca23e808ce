"""The outcome where support looks (the event list and page) and the action where they are
(Retry, Replay and Cancel buttons on one event's or one delivery's page)."""

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from connectors.models import Connector
from events.console.outcomes import events_outcomes
from events.models import Delivery, DeliveryAttempt, Event
from tests.events.test_console_factories import DeliveryFactory, EventFactory

pytestmark = pytest.mark.django_db

EVENTS = reverse("admin:events_event_changelist")


@pytest.fixture
def reader(client):
    """May read the log, may not act on it."""
    user = User.objects.create_user("rita", password="pw", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_event", "view_delivery"]))
    client.force_login(user)
    return client


def _history(obj) -> list[tuple[str, str]]:
    return [
        (entry.user.username, entry.get_change_message())
        for entry in LogEntry.objects.filter(object_id=str(obj.pk)).order_by("action_time")
    ]


def test_an_event_with_a_failed_and_a_retrying_delivery_is_failed_with_each_count():
    event = EventFactory()
    DeliveryFactory(event=event, status=Delivery.Status.FAILED)
    DeliveryFactory(event=event, status=Delivery.Status.RETRYING)
    for _ in range(3):
        DeliveryFactory(event=event, status=Delivery.Status.SUCCEEDED)

    outcome = events_outcomes(events=[event])[event.pk]

    # Failed is the most urgent of the five deliveries' outcomes, then retrying, then delivered.
    assert (outcome.key, outcome.label) == ("failed", "Failed")
    assert outcome.counts == (("failed", 1), ("retrying", 1), ("delivered", 3))
    assert outcome.summary == "1 failed · 1 retrying · 3 delivered"


@pytest.mark.parametrize(
    ("statuses", "key", "label", "summary"),
    [
        ([Delivery.Status.SUCCEEDED], "delivered", "Delivered", ""),
        ([Delivery.Status.RETRYING], "retrying", "Retrying", ""),
        ([Delivery.Status.HELD, Delivery.Status.SUCCEEDED], "held", "Held", "1 held · 1 delivered"),
        ([Delivery.Status.PENDING, Delivery.Status.DELIVERING], "sending", "Sending", "2 sending"),
        ([Delivery.Status.CANCELLED], "cancelled", "Cancelled", ""),
    ],
)
def test_the_outcome_is_the_most_urgent_delivery_s(statuses, key, label, summary):
    event = EventFactory()
    for status in statuses:
        DeliveryFactory(event=event, status=status)

    outcome = events_outcomes(events=[event])[event.pk]

    assert (outcome.key, outcome.label, outcome.summary) == (key, label, summary)


@pytest.mark.parametrize(
    ("status", "key", "label"),
    [
        (Event.Status.IGNORED, "ignored", "Ignored"),
        (Event.Status.FAILED, "failed", "Failed: nothing sent"),
        (Event.Status.REFUSED, "refused", "Refused"),
        (Event.Status.TRANSLATED, "ignored", "Nothing to send"),
    ],
)
def test_an_event_without_delivery_takes_its_outcome_from_its_own_status(status, key, label):
    event = EventFactory(status=status)

    outcome = events_outcomes(events=[event])[event.pk]

    assert (outcome.key, outcome.label, outcome.counts) == (key, label, ())


def test_a_replayed_delivery_gives_way_to_its_replay():
    event = EventFactory()
    failed = DeliveryFactory(event=event, status=Delivery.Status.FAILED)
    DeliveryFactory(event=event, status=Delivery.Status.SUCCEEDED, replay_of=failed)

    outcome = events_outcomes(events=[event])[event.pk]

    assert (outcome.key, outcome.counts) == ("delivered", (("delivered", 1),))


def test_the_event_list_shows_each_outcome_and_translated_is_not_green(admin_client):
    purchase = EventFactory(identity="1111111111111111", event_type="POSCONNECT.WALLET.SETTLE")
    DeliveryFactory(event=purchase, status=Delivery.Status.FAILED)
    DeliveryFactory(event=purchase, status=Delivery.Status.SUCCEEDED)
    reward = EventFactory(identity="1111111111111111", event_type="services/trigger")
    DeliveryFactory(event=reward, status=Delivery.Status.RETRYING)

    response = admin_client.get(EVENTS, {"q": "1111111111111111"})

    body = response.content.decode()
    assert response.status_code == 200
    assert body.count('<td class="field-outcome">') == 2
    assert (
        '<span style="background:#b02a37;color:#fff;border-radius:10px;padding:2px 8px;font-size:11px;'
        'font-weight:600;white-space:nowrap">Failed</span> '
        '<span class="ee-outcome-counts">1 failed · 1 delivered</span>'
    ) in body
    assert "white-space:nowrap\">Retrying</span></td>" in body
    assert ">Translated</span>" not in body
    assert "#1e7e34" not in body  # nothing delivered alone on this page is shown green


def test_the_outcome_costs_one_query_for_the_whole_page(admin_client):
    DeliveryFactory.create_batch(5, status=Delivery.Status.FAILED)
    admin_client.get(EVENTS)  # session and content types warmed up
    with CaptureQueriesContext(connection) as five:
        admin_client.get(EVENTS)
    DeliveryFactory.create_batch(20, status=Delivery.Status.SUCCEEDED)

    with CaptureQueriesContext(connection) as twenty_five:
        admin_client.get(EVENTS)

    # 25 events on the page instead of 5: the same number of queries (the outcome is one grouped
    # query over the page's deliveries, not one per row).
    assert len(twenty_five.captured_queries) == len(five.captured_queries)


def test_the_event_page_shows_its_outcome_and_how_it_was_received(admin_client):
    event = EventFactory()
    DeliveryFactory(event=event, status=Delivery.Status.RETRYING)

    body = admin_client.get(reverse("admin:events_event_change", args=[event.pk])).content.decode()

    assert "white-space:nowrap\">Retrying</span>" in body
    assert '<div class="readonly">Translated</div>' in body


# --- buttons on one row's page -----------------------------------------------------------------


def test_a_failed_delivery_page_offers_retry_replay_and_cancel_is_not_offered(support):
    failed = DeliveryFactory(status=Delivery.Status.FAILED)

    body = support.get(reverse("admin:events_delivery_change", args=[failed.pk])).content.decode()

    retry = reverse("admin:events_delivery_object_action", args=[failed.pk, "retry"])
    replay = reverse("admin:events_delivery_object_action", args=[failed.pk, "replay"])
    cancel = reverse("admin:events_delivery_object_action", args=[failed.pk, "cancel"])
    assert f'<a href="{retry}" class="ee-action">Retry now</a>' in body
    assert f'<a href="{replay}" class="ee-action">Replay its event</a>' in body
    assert cancel not in body  # a failed delivery is not waiting: nothing to cancel


def test_retry_asks_first_and_the_get_changes_nothing(support):
    failed = DeliveryFactory(status=Delivery.Status.FAILED)
    url = reverse("admin:events_delivery_object_action", args=[failed.pk, "retry"])

    response = support.get(url)

    assert response.status_code == 200
    assert f"Retry delivery {failed.pk} now?" in response.content.decode()
    failed.refresh_from_db()
    assert failed.status == Delivery.Status.FAILED
    assert _history(failed) == []


def test_retry_from_the_delivery_page_queues_it_and_history_says_who(support, django_capture_on_commit_callbacks):
    failed = DeliveryFactory(status=Delivery.Status.FAILED)
    url = reverse("admin:events_delivery_object_action", args=[failed.pk, "retry"])

    with django_capture_on_commit_callbacks(execute=True):
        response = support.post(url)

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:events_delivery_change", args=[failed.pk])
    failed.refresh_from_db()
    assert (failed.status, failed.next_trigger, failed.next_triggered_by) == (
        Delivery.Status.PENDING, DeliveryAttempt.Trigger.MANUAL, support.user,
    )
    assert _history(failed) == [("sam", "Retry now: queued.")]


def test_cancel_from_the_delivery_page(support):
    retrying = DeliveryFactory(status=Delivery.Status.RETRYING)

    support.post(reverse("admin:events_delivery_object_action", args=[retrying.pk, "cancel"]))

    retrying.refresh_from_db()
    assert retrying.status == Delivery.Status.CANCELLED
    assert retrying.last_error.startswith("Cancelled by sam at ")
    assert _history(retrying) == [("sam", "Cancelled.")]


def test_a_button_that_no_longer_applies_does_nothing_and_says_so(support):
    delivered = DeliveryFactory(status=Delivery.Status.SUCCEEDED)

    response = support.post(
        reverse("admin:events_delivery_object_action", args=[delivered.pk, "cancel"]), follow=True
    )

    delivered.refresh_from_db()
    assert delivered.status == Delivery.Status.SUCCEEDED
    assert [str(m) for m in response.context["messages"]] == ["Cancel: not possible any more, nothing was done."]
    assert _history(delivered) == []


def test_a_disabled_connector_s_delivery_is_not_offered_a_retry(support):
    failed = DeliveryFactory(status=Delivery.Status.FAILED)
    Connector.objects.filter(pk=failed.connector_id).update(state=Connector.State.DISABLED)

    body = support.get(reverse("admin:events_delivery_change", args=[failed.pk])).content.decode()

    assert reverse("admin:events_delivery_object_action", args=[failed.pk, "retry"]) not in body


def test_who_may_only_read_sees_no_button_and_is_refused_the_action(reader):
    failed = DeliveryFactory(status=Delivery.Status.FAILED)
    url = reverse("admin:events_delivery_object_action", args=[failed.pk, "retry"])

    page = reader.get(reverse("admin:events_delivery_change", args=[failed.pk])).content.decode()
    refused = reader.post(url)

    assert page.count('class="ee-action"') == 0
    assert refused.status_code == 403
    failed.refresh_from_db()
    assert failed.status == Delivery.Status.FAILED
    assert _history(failed) == []


def test_an_unknown_action_is_not_found(support):
    failed = DeliveryFactory(status=Delivery.Status.FAILED)

    response = support.post(reverse("admin:events_delivery_object_action", args=[failed.pk, "delete"]))

    assert response.status_code == 404


def test_the_event_page_retries_its_unfinished_deliveries_and_cancels_the_rest(support):
    event = EventFactory()
    failed = DeliveryFactory(event=event, status=Delivery.Status.FAILED)
    retrying = DeliveryFactory(event=event, status=Delivery.Status.RETRYING)
    delivered = DeliveryFactory(event=event, status=Delivery.Status.SUCCEEDED)
    page = support.get(reverse("admin:events_event_change", args=[event.pk])).content.decode()

    support.post(reverse("admin:events_event_object_action", args=[event.pk, "retry"]))

    assert ">Retry its deliveries now</a>" in page
    assert ">Cancel its deliveries</a>" in page
    assert ">Replay</a>" in page
    statuses = dict(Delivery.objects.values_list("pk", "status"))
    # The failed and the retrying one are made due now; the delivered one is left alone.
    assert statuses == {
        failed.pk: Delivery.Status.PENDING,
        retrying.pk: Delivery.Status.PENDING,
        delivered.pk: Delivery.Status.SUCCEEDED,
    }
    assert _history(event) == [("sam", "Retry now: 2 of 2 deliveries queued.")]


def test_replay_from_the_event_page_records_who_replayed(support):
    event = EventFactory(status=Event.Status.REFUSED)

    page = support.get(reverse("admin:events_event_change", args=[event.pk])).content.decode()

    # A message refused alone never was usable: there is nothing to replay.
    assert reverse("admin:events_event_object_action", args=[event.pk, "replay"]) not in page


def test_the_event_list_status_filter_says_how_the_event_was_received(admin_client):
    body = admin_client.get(EVENTS).content.decode()

    assert "By received as" in body
