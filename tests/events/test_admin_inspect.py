from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from events.admin.paginators import LargeTablePaginator
from events.console.dashboard import dashboard_figures, rollups_refresh
from events.models import Delivery
from rewards.models import RewardLedgerEntry
from tests.events.test_console_factories import DeliveryAttemptFactory, DeliveryFactory, EventFactory

pytestmark = pytest.mark.django_db


def test_event_page_shows_the_whole_chain(admin_client):
    event = EventFactory(
        direction="in", event_type="track", identity="CUST-9", payload={"messageId": "seg-9"}
    )
    delivery = DeliveryFactory(event=event, destination="air", idempotency_key="wallet-ref-9", attempts=1)
    DeliveryAttemptFactory(delivery=delivery, number=1, response_status=502, response_body="upstream down")
    follow_up = EventFactory(event_type="SERVICE.TRIGGER", source_event_id="air-follow-9")
    RewardLedgerEntry.objects.create(
        connector=event.connector,
        identity="CUST-9",
        wallet_transaction_reference="wallet-ref-9",
        wallet_transaction_id="442092686",
        status=RewardLedgerEntry.Status.AWARDED,
        request_event=event,
        delivery=delivery,
        follow_up_event=follow_up,
        requested_at=timezone.now(),
    )

    response = admin_client.get(reverse("admin:events_event_change", args=[event.pk]))

    body = response.content.decode()
    assert response.status_code == 200
    assert "&quot;messageId&quot;: &quot;seg-9&quot;" in body  # the payload, formatted
    assert "&quot;identity&quot;: &quot;CUST-9&quot;" in body  # the parsed context
    assert f"Delivery {delivery.pk}</a>" in body
    assert "upstream down" in body and "<td>502</td>" in body
    assert "wallet transaction 442092686" in body
    assert reverse("admin:events_event_change", args=[follow_up.pk]) in body


def test_event_page_without_ledger_entry_says_so(admin_client):
    event = EventFactory()

    response = admin_client.get(reverse("admin:events_event_change", args=[event.pk]))

    assert "No reward ledger entry." in response.content.decode()
    assert "This event produced no delivery." in response.content.decode()


def test_filtered_count_is_capped_and_exact_on_request():
    DeliveryFactory.create_batch(3, status=Delivery.Status.FAILED)
    queryset = Delivery.objects.filter(status=Delivery.Status.FAILED).order_by("-created_at")

    capped = LargeTablePaginator(queryset, 2)
    exact = LargeTablePaginator(queryset, 2, exact=True)

    assert (capped.count, capped.count_kind) == (3, "exact")
    assert exact.count == 3


def test_unfiltered_list_runs_no_unbounded_count(admin_client):
    DeliveryFactory.create_batch(2)

    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(reverse("admin:events_delivery_changelist"))

    assert response.status_code == 200
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper() and "events_delivery" in q["sql"]]
    assert counts and all("LIMIT" in sql.upper() for sql in counts)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="reltuples is PostgreSQL's")
def test_unfiltered_list_on_postgresql_uses_the_estimate(admin_client, monkeypatch):
    monkeypatch.setattr("events.admin.paginators.ESTIMATE_FROM", 0)
    DeliveryFactory.create_batch(2)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE events_delivery")

    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(reverse("admin:events_delivery_changelist"))

    assert response.context["cl"].paginator.count_kind == "estimate"
    assert not [q for q in queries if "COUNT(" in q["sql"].upper() and "events_delivery" in q["sql"]]


def test_dashboard_shows_rollup_figures_backlog_chart_and_retention(admin_client, settings):
    settings.RETENTION_SUCCEEDED_DAYS, settings.RETENTION_FAILED_DAYS = 7, 30
    now = timezone.now()
    ok = DeliveryFactory(
        status=Delivery.Status.SUCCEEDED, created_at=now - timedelta(seconds=2), delivered_at=now
    )
    DeliveryFactory(status=Delivery.Status.FAILED, event__connector=ok.connector)
    DeliveryFactory(
        status=Delivery.Status.RETRYING,
        event__connector=ok.connector,
        next_attempt_at=now - timedelta(minutes=3),
    )
    rollups_refresh(since=now - timedelta(minutes=10))

    figures = dashboard_figures(window="hour", connector_id=ok.connector_id)
    response = admin_client.get(reverse("admin:events_connectorhealth_dashboard"), {"window": "hour"})

    assert (figures.totals.received, figures.totals.delivered, figures.totals.failed) == (3, 1, 1)
    assert (figures.totals.retrying, figures.totals.due, figures.totals.latency_p50_ms) == (1, 1, 2500)
    body = response.content.decode()
    assert "<svg" in body and "<polyline" in body
    assert "kept 7 days; failed deliveries 30 days" in body
