"""A connector's health page: figures, not a bare form."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from connectors.models import Connector
from events.models import Delivery, DeliveryRollup, DestinationCircuit
from tests.connectors.factories import ConnectorFactory
from tests.events.test_console_factories import DeliveryFactory

pytestmark = pytest.mark.django_db


def test_the_health_page_shows_rates_latency_backlog_last_error_and_circuits(admin_client):
    connector = ConnectorFactory()
    now = timezone.now()
    DeliveryRollup.objects.create(
        connector=connector, bucket_start=now - timedelta(hours=2), received=10, delivered=9, failed=1,
        latency_250ms=9, computed_at=now,
    )
    DeliveryFactory(
        event__connector=connector, status=Delivery.Status.FAILED, last_error="Segment answered 400: bad",
        last_status_code=400,
    )
    retrying = DeliveryFactory(event__connector=connector, status=Delivery.Status.RETRYING, last_error="timeout")
    DestinationCircuit.objects.create(
        connector=connector, destination="segment", state=DestinationCircuit.State.OPEN, consecutive_failures=5,
        last_failure="timeout",
    )

    body = admin_client.get(reverse("admin:events_connectorhealth_change", args=[connector.pk])).content.decode()

    assert "<dt>Received</dt><dd>10</dd>" in body
    assert "<dt>Delivered</dt><dd>9</dd>" in body
    # 9 delivered out of 9 + 1 settled.
    assert "<dt>Success rate</dt><dd>90.0 %</dd>" in body
    # All nine took at most 250 ms, so both percentiles fall in that slot.
    assert "<dt>Latency p50 / p95</dt><dd>≤ 250 ms\n / ≤ 250 ms\n</dd>" in body
    assert "<dt>Retrying</dt><dd>1</dd>" in body
    assert "<dt>Circuits</dt><dd>segment: Open (waiting for the next probe)</dd>" in body
    # The newest error of a failed or retrying delivery: the retrying one was updated last.
    last_error = reverse("admin:events_delivery_change", args=[retrying.pk])
    assert f'<a href="{last_error}">delivery {retrying.pk}</a>' in body
    assert "timeout" in body


def test_the_health_page_links_to_the_connector_s_log_and_pauses_it(admin_client):
    connector = ConnectorFactory()
    page = reverse("admin:events_connectorhealth_change", args=[connector.pk])

    body = admin_client.get(page).content.decode()
    paused = admin_client.post(reverse("admin:events_connectorhealth_pause", args=[connector.pk]) + f"?next={page}")

    assert f'href="/admin/events/event/?connector={connector.pk}"' in body
    assert f'href="/admin/events/delivery/?connector={connector.pk}&amp;status=failed"' in body
    assert f'href="/admin/events/connectorhealth/dashboard/?connector={connector.pk}"' in body
    assert 'class="button ee-state-change"' in body and ">Pause</button>" in body
    assert paused["Location"] == page
    assert Connector.objects.get(pk=connector.pk).state == Connector.State.PAUSED


def test_pause_does_not_follow_a_next_to_another_site(admin_client):
    connector = ConnectorFactory()

    response = admin_client.post(
        reverse("admin:events_connectorhealth_pause", args=[connector.pk]) + "?next=https://evil.example/"
    )

    assert response["Location"] == reverse("admin:events_connectorhealth_change", args=[connector.pk])


def test_a_failure_without_a_message_is_still_the_last_error(admin_client):
    failed = DeliveryFactory(status=Delivery.Status.FAILED, last_error="", last_status_code=None)

    body = admin_client.get(
        reverse("admin:events_connectorhealth_change", args=[failed.connector_id])
    ).content.decode()

    assert f">delivery {failed.pk}</a>" in body
    assert "no message recorded" in body
    assert ">Settings and tokens</a>" in body  # the health page links to the connector's own
