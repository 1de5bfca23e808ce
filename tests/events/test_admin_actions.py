import copy

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, User
from django.urls import reverse

from connectors.kinds.base import Direction
from connectors.kinds.registry import kind_get
from connectors.models import Connector
from connectors.services import connector_state_set
from core.groups import SUPPORT
from events.console.log import bulk_retry_job_run
from events.intake.receive import events_receive
from events.models import BulkRetryJob, ConnectorHealth, Delivery, DeliveryAttempt, Event
from tests.connectors.factories import ConnectorFactory
from tests.events.test_console_factories import DeliveryFactory

pytestmark = pytest.mark.django_db

DELIVERIES = reverse("admin:events_delivery_changelist")
HEALTH = reverse("admin:events_connectorhealth_changelist")
EVENTS = reverse("admin:events_event_changelist")


def _action(client, url, action, objects):
    return client.post(url, {"action": action, "_selected_action": [o.pk for o in objects]})


def _history(obj) -> list[tuple[str, str]]:
    return [
        (entry.user.username, entry.get_change_message())
        for entry in LogEntry.objects.filter(object_id=str(obj.pk)).order_by("action_time")
    ]


def test_support_retries_a_failed_delivery_now_and_history_says_who(
    support, django_capture_on_commit_callbacks
):
    failed = DeliveryFactory(status=Delivery.Status.FAILED)
    succeeded = DeliveryFactory(status=Delivery.Status.SUCCEEDED)

    with django_capture_on_commit_callbacks():
        response = _action(support, DELIVERIES, "retry_now", [failed, succeeded])

    assert response.status_code == 302
    failed.refresh_from_db()
    succeeded.refresh_from_db()
    assert (failed.status, failed.next_trigger, failed.next_triggered_by) == (
        Delivery.Status.PENDING,
        DeliveryAttempt.Trigger.MANUAL,
        support.user,
    )
    assert succeeded.status == Delivery.Status.SUCCEEDED
    assert _history(failed) == [("sam", "Retry now requested")]


def test_support_cancels_retrying_deliveries_but_not_finished_ones(support):
    retrying = DeliveryFactory(status=Delivery.Status.RETRYING)
    succeeded = DeliveryFactory(status=Delivery.Status.SUCCEEDED)

    _action(support, DELIVERIES, "cancel", [retrying, succeeded])

    retrying.refresh_from_db()
    succeeded.refresh_from_db()
    assert retrying.status == Delivery.Status.CANCELLED
    assert retrying.last_error.startswith("Cancelled by sam at ")
    assert succeeded.status == Delivery.Status.SUCCEEDED
    assert _history(retrying) == [("sam", "Cancelled")]


def test_bulk_retry_shows_the_count_first_then_runs_and_reports_progress(support):
    connector = ConnectorFactory()
    failed = [DeliveryFactory(status=Delivery.Status.FAILED, event__connector=connector) for _ in range(3)]
    DeliveryFactory(status=Delivery.Status.FAILED)  # another connector
    DeliveryFactory(status=Delivery.Status.SUCCEEDED, event__connector=connector)
    url = reverse("admin:events_delivery_bulk_retry")

    preview = support.get(url, {"connector": connector.pk})

    assert preview.context["count"] == 3
    assert BulkRetryJob.objects.count() == 0

    response = support.post(url, {"connector": connector.pk})
    job = BulkRetryJob.objects.get()
    assert response.status_code == 302
    assert (job.status, job.total, job.filters, job.created_by) == (
        BulkRetryJob.Status.PENDING,
        3,
        {"connector": str(connector.pk)},
        support.user,
    )

    job = bulk_retry_job_run(job_id=job.pk, batch_size=2)

    assert (job.status, job.processed, job.queued) == (BulkRetryJob.Status.COMPLETED, 3, 3)
    assert sorted(Delivery.objects.filter(next_trigger="bulk").values_list("pk", flat=True)) == [
        d.pk for d in failed
    ]
    page = support.get(reverse("admin:events_bulkretryjob_change", args=[job.pk]))
    assert "3 of 3 processed (100%), 3 queued to retry" in page.content.decode()


def test_a_cancelled_bulk_retry_stops_and_touches_nothing(support):
    DeliveryFactory(status=Delivery.Status.FAILED)
    support.post(reverse("admin:events_delivery_bulk_retry"), {})
    job = BulkRetryJob.objects.get()

    support.post(reverse("admin:events_bulkretryjob_cancel", args=[job.pk]))
    job = bulk_retry_job_run(job_id=job.pk)

    assert (job.status, job.processed, job.cancelled_by) == (BulkRetryJob.Status.CANCELLED, 0, support.user)
    assert Delivery.objects.get().status == Delivery.Status.FAILED
    assert _history(job)[-1] == ("sam", "Cancelled")


def test_support_pauses_and_resumes_a_connector_and_held_deliveries_drain(support):
    due = DeliveryFactory(status=Delivery.Status.PENDING)
    connector = ConnectorHealth.objects.get(pk=due.connector_id)

    support.post(reverse("admin:events_connectorhealth_pause", args=[connector.pk]))

    due.refresh_from_db()
    assert Connector.objects.get(pk=connector.pk).state == Connector.State.PAUSED
    assert due.status == Delivery.Status.HELD

    support.post(reverse("admin:events_connectorhealth_resume", args=[connector.pk]))

    due.refresh_from_db()
    assert Connector.objects.get(pk=connector.pk).state == Connector.State.ACTIVE
    assert (due.status, due.next_trigger, due.next_triggered_by) == (
        Delivery.Status.PENDING,
        DeliveryAttempt.Trigger.RESUME,
        support.user,
    )
    assert [message for _, message in _history(connector)] == [
        "Paused; 1 due deliveries held",
        "Resumed; 1 held deliveries released",
    ]


def test_resume_on_the_health_page_makes_a_disabled_connector_active_and_releases_what_it_held(support):
    due = DeliveryFactory(status=Delivery.Status.PENDING)
    connector = Connector.objects.get(pk=due.connector_id)
    connector_state_set(connector=connector, state=Connector.State.DISABLED)  # the connector admin's Disable
    assert Delivery.objects.get(pk=due.pk).status == Delivery.Status.HELD

    support.post(reverse("admin:events_connectorhealth_resume", args=[connector.pk]))

    due.refresh_from_db()
    assert Connector.objects.get(pk=connector.pk).state == Connector.State.ACTIVE
    assert (due.status, due.next_triggered_by) == (Delivery.Status.PENDING, support.user)


def test_support_sees_connector_health_but_no_settings_or_secrets(support):
    connector = ConnectorFactory()

    page = support.get(reverse("admin:events_connectorhealth_change", args=[connector.pk]))

    body = page.content.decode()
    assert page.status_code == 200
    assert "sandbox-air-secret" not in body
    assert connector.secrets_encrypted not in body
    assert "air_wallet_url" not in body


@pytest.mark.parametrize(
    "url_name", ["admin:connectors_connector_change", "admin:events_connectorhealth_change"]
)
def test_support_cannot_see_secrets_or_post_connector_changes(support, url_name):
    connector = ConnectorFactory(name="Before")
    url = reverse(url_name, args=[connector.pk])

    page = support.get(url)
    response = support.post(url, {"name": "Renamed", "state": "disabled", "settings": "{}"})

    assert page.status_code == 200
    assert "sandbox-air-secret" not in page.content.decode()
    assert "sandbox-write-key" not in page.content.decode()
    assert response.status_code == 403
    connector.refresh_from_db()
    assert (connector.name, connector.state) == ("Before", Connector.State.ACTIVE)
    assert not support.user.has_perm("connectors.change_connector")
    assert not support.user.has_perm("connectors.view_connector_secrets")


def test_a_user_without_the_retry_permission_cannot_act(client):
    user = User.objects.create_user("viewer", password="pw", is_staff=True)
    user.user_permissions.add(*Group.objects.get(name=SUPPORT).permissions.exclude(codename="retry_delivery"))
    client.force_login(user)
    failed = DeliveryFactory(status=Delivery.Status.FAILED)

    listing = client.get(DELIVERIES)
    bulk = client.get(reverse("admin:events_delivery_bulk_retry"))
    pause = client.post(reverse("admin:events_connectorhealth_pause", args=[failed.connector_id]))

    assert listing.status_code == 200
    assert "retry_now" not in listing.content.decode()
    assert (bulk.status_code, pause.status_code) == (403, 403)
    failed.refresh_from_db()
    assert failed.status == Delivery.Status.FAILED
    assert LogEntry.objects.count() == 0


def _superuser(client):
    client.force_login(User.objects.create_superuser("root", password="pw"))
    return client


@pytest.mark.parametrize(
    ("kind", "direction", "sample", "connector_settings", "secrets"),
    [
        ("air_segment", "in", "services/trigger", None, None),
        (
            "voucherify_segment",
            "out",
            "redemption.succeeded",
            {"voucherify_api_url": "https://api.voucherify.io", "voucherify_app_id": "a", "segment_region": "EU"},
            {"voucherify_webhook_secret": "whsec-1", "segment_write_key": "wk-1", "voucherify_app_token": "t"},
        ),
    ],
)
def test_the_replay_action_replays_air_triggers_and_voucherify_webhooks(
    client, kind, direction, sample, connector_settings, secrets
):
    # Replay once compared the stored direction by identity with Direction.IN and refused both.
    extra = {} if connector_settings is None else {"settings": connector_settings, "secrets": secrets}
    connector = ConnectorFactory(kind=kind, **extra)
    payload = copy.deepcopy(kind_get(kind).samples[Direction(direction)][sample])
    [received] = events_receive(connector=connector, direction=direction, payload=payload)
    before = received.event.deliveries.count()

    response = _action(_superuser(client), EVENTS, "replay", [received.event])

    assert response.status_code == 302
    assert received.event.deliveries.count() == 2 * before
    assert Event.objects.get(pk=received.event.pk).replayed_at is not None
