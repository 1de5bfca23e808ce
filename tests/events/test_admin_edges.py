"""Bad filter input gets a message, never a server error; bulk retries count what the list
shows; the bulk retry page reads as names and says what it did."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from events.console.log import bulk_retry_job_run
from events.console.params import console_moment_input, console_params_check
from events.models import BulkRetryJob, Delivery
from tests.connectors.factories import ConnectorFactory
from tests.events.test_console_factories import DeliveryAttemptFactory, DeliveryFactory, EventFactory

pytestmark = pytest.mark.django_db

DELIVERIES = reverse("admin:events_delivery_changelist")
EVENTS = reverse("admin:events_event_changelist")
BULK = reverse("admin:events_delivery_bulk_retry")


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.mark.parametrize("url", [DELIVERIES, EVENTS])
@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"from": "2026-11-31"}, "time range from: '2026-11-31' is not a day of the calendar."),
        (
            {"to": "yesterday"},
            "time range to: 'yesterday' is not a date (2026-05-31) or a date and time (2026-05-31T09:30).",
        ),
        ({"connector": "abc"}, "connector: 'abc' is not a connector id (a whole number)."),
        ({"client": "-1"}, "client: '-1' is not a client id (a whole number)."),
        ({"direction": "sideways"}, "direction: 'sideways' is not one of in, out."),
        ({"period": "month"}, "time: 'month' is not one of hour, day, week."),
        ({"connector__id__exact": "x"}, "connector: 'x' is not a connector id (a whole number)."),
    ],
)
def test_a_bad_filter_value_is_named_and_the_list_shown_without_it(admin_client, url, params, message):
    DeliveryFactory()

    response = admin_client.get(url, {**params, "destination": "segment"} if url == DELIVERIES else params)

    assert response.status_code == 302
    # The refused value is dropped from the address; the other filters stay.
    assert response["Location"] == (f"{url}?destination=segment" if url == DELIVERIES else f"{url}?")
    shown = admin_client.get(response["Location"])
    assert shown.status_code == 200
    assert _messages(shown) == [message]


def test_an_unknown_status_is_named_with_the_list_s_own_statuses(admin_client):
    response = admin_client.get(EVENTS, {"status": "succeeded"}, follow=True)

    assert _messages(response) == [
        "status: 'succeeded' is not one of accepted, ignored, translated, failed, refused."
    ]


def test_a_range_that_ends_before_it_starts_is_refused():
    errors = console_params_check(params={"from": "2026-05-02", "to": "2026-05-01"}, statuses=())

    # "to" 2026-05-01 is the end of that day, 2026-05-02 00:00: not after "from" 2026-05-02 00:00.
    assert errors == {"to": "time range: to (2026-05-01) is not after from (2026-05-02)."}


def test_a_good_range_is_applied(admin_client):
    inside = DeliveryFactory(created_at=datetime(2026, 5, 1, 10, 0, tzinfo=UTC))
    DeliveryFactory(created_at=datetime(2026, 5, 2, 10, 0, tzinfo=UTC))

    response = admin_client.get(DELIVERIES, {"from": "2026-05-01T09:30", "to": "2026-05-01"})

    assert list(response.context["cl"].result_list) == [inside]
    body = response.content.decode()
    # The pickers show what is applied: a bare "to" date stands for the start of the next day.
    assert '<input type="datetime-local" name="from" value="2026-05-01T09:30">' in body
    assert '<input type="datetime-local" name="to" value="2026-05-02T00:00">' in body


def test_the_picker_leaves_an_unreadable_value_empty():
    assert console_moment_input("yesterday") == ""
    assert console_moment_input("2026-05-01T09:30:59") == "2026-05-01T09:30"


def test_the_dashboard_names_a_bad_connector_and_shows_them_all(admin_client):
    response = admin_client.get(reverse("admin:events_connectorhealth_dashboard"), {"connector": "abc"})

    assert response.status_code == 200
    assert _messages(response) == [
        "connector: 'abc' is not a connector id (a whole number). Showing every connector."
    ]


# --- bulk retry ----------------------------------------------------------------------------------


def test_bulk_retry_counts_what_the_list_filtered_by_admin_lookups_shows(support):
    connector = ConnectorFactory()
    DeliveryFactory.create_batch(2, status=Delivery.Status.FAILED, event__connector=connector)
    DeliveryFactory(status=Delivery.Status.FAILED)  # another connector's
    query = {"status__exact": "failed", "connector__id__exact": str(connector.pk)}

    listed = support.get(DELIVERIES, query)
    preview = support.get(BULK, query)

    # The list shows this connector's two failed deliveries, and so does the confirmation.
    assert listed.context["cl"].result_count == 2
    assert preview.context["count"] == 2
    assert preview.context["description"] == f"connector {connector}, status failed"


def test_bulk_retry_refuses_a_filter_it_could_not_replay(support):
    DeliveryFactory(status=Delivery.Status.FAILED)

    response = support.get(BULK, {"attempts__gte": "3"}, follow=True)

    assert _messages(response) == ["The filter attempts__gte cannot be saved for a bulk retry; nothing was started."]
    assert BulkRetryJob.objects.count() == 0


def test_bulk_retry_of_a_list_of_retrying_deliveries_is_refused(support):
    response = support.post(BULK, {"status": "retrying"}, follow=True)

    assert _messages(response) == [
        "A bulk retry retries failed deliveries: filter the list by status Failed, or by none."
    ]
    assert BulkRetryJob.objects.count() == 0


def test_the_bulk_retry_page_shows_names_and_its_outcome(support):
    connector = ConnectorFactory(name="Shop", environment="UAT")
    DeliveryFactory.create_batch(2, status=Delivery.Status.FAILED, event__connector=connector)
    support.post(BULK, {"connector": connector.pk, "event_type": "SERVICE.TRIGGER"})
    job = BulkRetryJob.objects.get()

    bulk_retry_job_run(job_id=job.pk)
    body = support.get(reverse("admin:events_bulkretryjob_change", args=[job.pk])).content.decode()

    assert f"connector {connector.client} · Shop (UAT), event type SERVICE.TRIGGER" in body
    assert "Completed: 2 of 2 deliveries queued to retry." in body
    assert "{&quot;connector&quot;" not in body  # no raw JSON of the saved filter


def test_a_period_is_saved_as_the_moment_it_started_and_shown_so(support):
    DeliveryFactory(status=Delivery.Status.FAILED)
    before = timezone.now()

    support.post(BULK, {"period": "day"})

    job = BulkRetryJob.objects.get()
    start = datetime.fromisoformat(job.filters["from"])
    assert before - timedelta(days=1) <= start <= timezone.now() - timedelta(days=1)
    assert job.description == "last day"


def test_the_bulk_retry_list_describes_each_job(support):
    EventFactory()
    support.post(BULK, {"destination": "air"})

    body = support.get(reverse("admin:events_bulkretryjob_changelist")).content.decode()

    assert '<td class="field-filter_summary">destination air</td>' in body


def test_the_confirmation_goes_back_to_the_same_list(support):
    connector = ConnectorFactory()
    DeliveryFactory(status=Delivery.Status.FAILED, event__connector=connector)

    body = support.get(BULK, {"connector__id__exact": connector.pk}).content.decode()

    assert '<p id="bulk-retry-count"><strong>1</strong> failed delivery matches this filter' in body
    assert f'<a href="{DELIVERIES}?connector={connector.pk}" class="button cancel-link">Back to the list</a>' in body
    assert '<input type="submit" class="default" value="Retry 1 delivery">' in body


def test_json_on_a_delivery_page_is_indented_with_the_raw_form_a_click_away(admin_client):
    attempt = DeliveryAttemptFactory(response_body='{"success":true}')

    body = admin_client.get(reverse("admin:events_delivery_change", args=[attempt.delivery_id])).content.decode()

    # The request headers as indented JSON, not a Python dict dump; then the compact raw form.
    headers = '<summary>Request headers</summary><pre>{\n  &quot;Authorization&quot;: &quot;Basic ***&quot;\n}</pre>'
    assert headers in body
    assert "{&#x27;Authorization&#x27;" not in body
    assert '<summary>Response body</summary><pre>{\n  &quot;success&quot;: true\n}</pre>' in body
    assert '<details class="ee-json-raw"><summary>Raw</summary><pre>{&quot;success&quot;:true}</pre></details>' in body
    # The delivery's own body: what was sent to Segment.
    assert "<summary>What is sent</summary>" in body
