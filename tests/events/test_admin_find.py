from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from events.models import Delivery, Event
from tests.connectors.factories import ConnectorFactory
from tests.events.test_console_factories import DeliveryFactory, EventFactory

pytestmark = pytest.mark.django_db

DELIVERIES = reverse("admin:events_delivery_changelist")
EVENTS = reverse("admin:events_event_changelist")


def _listed(response) -> list:
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "failed"}, ["bad-400", "failed-500"]),
        ({"code": "2xx"}, ["ok-200"]),
        ({"code": "4xx"}, ["bad-400"]),
        ({"code": "5xx"}, ["failed-500"]),
        ({"code": "none"}, ["old-none"]),
        ({"destination": "air"}, ["bad-400"]),
        ({"direction": "in"}, ["bad-400"]),
        ({"event_type": "POINTS.ADJUST"}, ["failed-500"]),
        ({"period": "hour"}, ["ok-200", "bad-400", "failed-500"]),
        ({"period": "week"}, ["ok-200", "bad-400", "failed-500", "old-none"]),
        ({"to": "2020-01-01"}, []),
    ],
)
def test_delivery_filters_return_exactly_the_matching_rows(admin_client, params, expected):
    now = timezone.now()
    connector = ConnectorFactory()
    DeliveryFactory(
        idempotency_key="ok-200", last_status_code=200, event__connector=connector, created_at=now
    )
    DeliveryFactory(
        idempotency_key="bad-400",
        last_status_code=400,
        status=Delivery.Status.FAILED,
        destination="air",
        event__direction="in",
        event__connector=connector,
        created_at=now - timedelta(minutes=1),
    )
    DeliveryFactory(
        idempotency_key="failed-500",
        last_status_code=500,
        status=Delivery.Status.FAILED,
        event__event_type="POINTS.ADJUST",
        event__connector=connector,
        created_at=now - timedelta(minutes=2),
    )
    DeliveryFactory(
        idempotency_key="old-none",
        status=Delivery.Status.RETRYING,
        event__connector=connector,
        created_at=now - timedelta(days=2),
    )

    listed = _listed(admin_client.get(DELIVERIES, params))

    assert [d.idempotency_key for d in listed] == expected


def test_delivery_filters_by_client_connector_and_time_range(admin_client):
    mine = DeliveryFactory(idempotency_key="mine")
    DeliveryFactory(idempotency_key="other")
    start = (mine.created_at - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%S")

    by_client = _listed(admin_client.get(DELIVERIES, {"client": mine.connector.client_id}))
    by_connector = _listed(admin_client.get(DELIVERIES, {"connector": mine.connector_id, "from": start}))

    assert by_client == [mine]
    assert by_connector == [mine]


@pytest.mark.parametrize("term", ["CUST-42", "air-event-42", "wallet-ref-42", "msg-42"])
def test_delivery_search_finds_by_identity_event_id_or_reference(admin_client, term):
    event = EventFactory(identity="CUST-42", source_event_id="air-event-42")
    wanted = DeliveryFactory(event=event, idempotency_key="msg-42")
    by_reference = DeliveryFactory(idempotency_key="wallet-ref-42")
    DeliveryFactory(idempotency_key="unrelated")

    listed = _listed(admin_client.get(DELIVERIES, {"q": term}))

    assert listed == ([by_reference] if term == "wallet-ref-42" else [wanted])


@pytest.mark.parametrize("term", ["CUST-7", "seg-msg-7", "air-ref-7"])
def test_event_search_finds_by_identity_message_id_or_wallet_reference(admin_client, term):
    wanted = EventFactory(identity="CUST-7", source_event_id="seg-msg-7", direction="in")
    DeliveryFactory(event=wanted, idempotency_key="air-ref-7", destination="air")
    EventFactory(identity="CUST-8")

    assert _listed(admin_client.get(EVENTS, {"q": term})) == [wanted]


def test_event_filters_by_status_direction_type_and_period(admin_client):
    now = timezone.now()
    wanted = EventFactory(status=Event.Status.FAILED, direction="in", event_type="track", received_at=now)
    EventFactory(status=Event.Status.FAILED, direction="out", event_type="track", received_at=now)
    EventFactory(
        status=Event.Status.FAILED, direction="in", event_type="track", received_at=now - timedelta(days=2)
    )
    EventFactory(status=Event.Status.IGNORED, direction="in", event_type="track", received_at=now)

    listed = _listed(
        admin_client.get(
            EVENTS, {"status": "failed", "direction": "in", "event_type": "track", "period": "day"}
        )
    )

    assert listed == [wanted]


def test_delivery_list_shows_badge_attempts_code_and_next_attempt(admin_client):
    next_attempt = timezone.now() + timedelta(minutes=5)
    DeliveryFactory(
        status=Delivery.Status.RETRYING, attempts=3, last_status_code=503, next_attempt_at=next_attempt
    )

    response = admin_client.get(DELIVERIES)

    body = response.content.decode()
    assert "background:#b35c00" in body  # the retrying badge
    assert ">Retrying</span>" in body
    assert '<td class="field-attempts_short">3</td>' in body
    assert '<td class="field-code">503</td>' in body
    assert f'<td class="field-next_attempt">{next_attempt:%d %b %H:%M:%S}</td>' in body
