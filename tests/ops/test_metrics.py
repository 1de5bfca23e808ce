"""GET /metrics: who may scrape it, that its counts move with what happens, and what it costs."""

import copy
import json
import os
import subprocess
import sys
import uuid
from datetime import timedelta
from ipaddress import ip_network
from pathlib import Path

import pytest
import responses
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from config.metrics import DatabaseCollector
from connectors.kinds.base import Direction
from connectors.kinds.registry import kind_get
from connectors.tokens import token_issue
from events.console.dashboard import rollups_refresh
from events.console.metrics import metrics_read
from events.delivery.deliver import deliveries_attempt
from events.models import Delivery, DestinationCircuit
from tests.connectors.factories import ConnectorFactory
from tests.events.factories import DeliveryAttemptFactory, DeliveryFactory

pytestmark = pytest.mark.django_db
SEGMENT_BATCH = "http://127.0.0.1:8000/sandbox/segment/v1/batch"
TOKEN = "metrics-token-for-tests-0123456789"


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of an exposition, keyed by (name, sorted labels)."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(scraped, metric: str, /, **labels) -> float:
    return scraped[(metric, tuple(sorted(labels.items())))]


def scrape(client) -> dict:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    return samples(response.content.decode())


def notification() -> dict:
    body = copy.deepcopy(kind_get("air_segment").samples[Direction.OUT]["SERVICE.WALLET.ACCOUNTS.CREATE"])
    body["headers"]["eesEventId"] = str(uuid.uuid4())
    return body


def post(client, connector, token: str):
    return client.post(
        f"/out/segment/{connector.public_id}", data=json.dumps(notification()),
        content_type="application/json", HTTP_X_AUTH_TOKEN=token,
    )


@pytest.fixture
def metrics_token(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_NETWORKS = []


# Who may scrape


def test_with_neither_a_token_nor_networks_configured_metrics_are_refused(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = []

    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer anything")

    assert response.status_code == 403
    assert response.json() == {"message": "Metrics are off: set METRICS_TOKEN or METRICS_ALLOWED_NETWORKS"}


def test_a_scrape_without_the_bearer_token_is_401_asking_for_it(client, metrics_token):
    response = client.get("/metrics")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert b"ee_connect" not in response.content


@pytest.mark.parametrize("authorization", [f"Bearer {TOKEN}x", f"Basic {TOKEN}", "Bearer " + TOKEN[:-1]])
def test_a_wrong_token_or_scheme_is_refused(client, metrics_token, authorization):
    response = client.get("/metrics", HTTP_AUTHORIZATION=authorization)

    assert response.status_code in (401, 403)
    assert b"ee_connect" not in response.content


def test_the_right_token_is_served(client, metrics_token):
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    assert response.status_code == 200
    assert b"# TYPE ee_connect_events_received_total counter" in response.content


def test_an_address_outside_the_allowed_networks_is_refused(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = [ip_network("10.0.0.0/8")]

    refused = client.get("/metrics", REMOTE_ADDR="192.168.1.5")
    # The connecting address decides: a forwarded header naming an allowed one changes nothing.
    forwarded = client.get("/metrics", REMOTE_ADDR="192.168.1.5", HTTP_X_FORWARDED_FOR="10.1.2.3")
    served = client.get("/metrics", REMOTE_ADDR="10.1.2.3")

    assert refused.status_code == forwarded.status_code == 403
    assert refused.json() == {"message": "This address is not in METRICS_ALLOWED_NETWORKS"}
    assert served.status_code == 200


def test_with_both_configured_both_must_pass(client, settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_NETWORKS = [ip_network("127.0.0.0/8")]

    no_token = client.get("/metrics", REMOTE_ADDR="127.0.0.1")
    wrong_place = client.get("/metrics", REMOTE_ADDR="192.0.2.1", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    both = client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    assert (no_token.status_code, wrong_place.status_code, both.status_code) == (401, 403, 200)


def test_metrics_answer_only_get(client, metrics_token):
    assert client.post("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 405


# The counts move


@responses.activate
def test_counts_move_as_events_are_received_refused_and_delivered(client, metrics_token, settings):
    connector = ConnectorFactory()
    token = token_issue(connector=connector, direction="out").plaintext
    public_id = str(connector.public_id)
    before = scrape(client)

    accepted = post(client, connector, token)
    refused = post(client, connector, "eec_out_not-a-token")
    waiting = scrape(client)

    # What waits is counted live: the one delivery the wallet's creation makes is pending and due.
    assert (accepted.status_code, refused.status_code) == (200, 403)
    assert value(before, "ee_connect_delivery_backlog", connector=public_id, status="pending") == 0
    assert value(waiting, "ee_connect_delivery_backlog", connector=public_id, status="pending") == 1
    assert value(waiting, "ee_connect_deliveries_due", connector=public_id) == 1
    # The webhook's own answers are counted in the process, by outcome.
    requests_total = "ee_connect_webhook_requests_total"
    assert value(waiting, requests_total, connector=public_id, direction="out", outcome="accepted") == 1
    assert value(waiting, requests_total, connector=public_id, direction="out", outcome="forbidden") == 1
    assert value(waiting, "ee_connect_webhook_duration_seconds_count", connector=public_id, direction="out") == 2

    # Delivered 3 s after it was created: the latency histogram's first bucket holding it is 5 s.
    Delivery.objects.update(created_at=timezone.now() - timedelta(seconds=3))
    responses.post(SEGMENT_BATCH, json={"success": True})
    delivery = Delivery.objects.get()
    assert deliveries_attempt(delivery_ids=[delivery.pk]) == {delivery.pk: Delivery.Status.SUCCEEDED}
    rollups_refresh()
    after = scrape(client)

    assert value(before, "ee_connect_events_received_total", connector=public_id) == 0
    assert value(after, "ee_connect_events_received_total", connector=public_id) == 1
    assert value(after, "ee_connect_deliveries_total", connector=public_id, outcome="delivered") == 1
    assert value(after, "ee_connect_deliveries_total", connector=public_id, outcome="failed") == 0
    assert value(after, "ee_connect_delivery_backlog", connector=public_id, status="pending") == 0
    assert value(after, "ee_connect_deliveries_due", connector=public_id) == 0
    assert value(after, "ee_connect_delivery_attempts_last_minute", connector=public_id, status_class="2xx") == 1
    assert value(after, "ee_connect_delivery_attempts_last_minute", connector=public_id, status_class="5xx") == 0
    latency = "ee_connect_delivery_latency_seconds_bucket"
    assert value(after, latency, connector=public_id, le="2.5") == 0
    assert value(after, latency, connector=public_id, le="5.0") == 1
    assert value(after, latency, connector=public_id, le="+Inf") == 1
    assert value(after, "ee_connect_connector_info", connector=public_id, client=connector.client.slug,
                 kind="air_segment", name=connector.name, state="active") == 1


def exposition(now) -> dict:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector(metrics_read(now=now)))
    return samples(generate_latest(registry).decode())


def test_the_oldest_due_delivery_is_reported_by_how_long_it_has_waited():
    now = timezone.now()
    oldest = DeliveryFactory(next_attempt_at=now - timedelta(seconds=90))
    DeliveryFactory(event__connector=oldest.connector, next_attempt_at=now - timedelta(seconds=30))
    DeliveryFactory(event__connector=oldest.connector, next_attempt_at=now + timedelta(seconds=30))  # not yet due
    idle = ConnectorFactory()

    scraped = exposition(now)

    public_id = str(oldest.connector.public_id)
    assert value(scraped, "ee_connect_delivery_oldest_due_seconds", connector=public_id) == 90.0
    assert value(scraped, "ee_connect_deliveries_due", connector=public_id) == 2
    assert value(scraped, "ee_connect_delivery_backlog", connector=public_id, status="pending") == 3
    assert value(scraped, "ee_connect_delivery_oldest_due_seconds", connector=str(idle.public_id)) == 0


def test_circuits_report_their_state_and_failures_in_a_row():
    connector = ConnectorFactory()
    DestinationCircuit.objects.create(
        connector=connector, destination="segment", state=DestinationCircuit.State.OPEN, consecutive_failures=5
    )

    scraped = exposition(timezone.now())

    public_id = str(connector.public_id)
    state = "ee_connect_destination_circuit_state"
    assert value(scraped, state, connector=public_id, destination="segment", state="open") == 1
    assert value(scraped, state, connector=public_id, destination="segment", state="closed") == 0
    assert value(scraped, state, connector=public_id, destination="segment", state="half_open") == 0
    failures = "ee_connect_destination_consecutive_failures"
    assert value(scraped, failures, connector=public_id, destination="segment") == 5


def test_attempts_are_counted_by_status_class_within_the_last_minute():
    now = timezone.now()
    delivery = DeliveryFactory()
    DeliveryAttemptFactory(delivery=delivery, number=1, started_at=now - timedelta(seconds=10), response_status=503)
    DeliveryAttemptFactory(delivery=delivery, number=2, started_at=now - timedelta(seconds=5), response_status=None)
    DeliveryAttemptFactory(delivery=delivery, number=3, started_at=now - timedelta(seconds=2), response_status=502)
    DeliveryAttemptFactory(delivery=delivery, number=4, started_at=now - timedelta(minutes=2), response_status=200)

    scraped = exposition(now)

    # Two 5xx and one without an answer in the minute; the 200 two minutes ago is outside it.
    public_id = str(delivery.connector.public_id)
    attempts = "ee_connect_delivery_attempts_last_minute"
    assert value(scraped, attempts, connector=public_id, status_class="5xx") == 2
    assert value(scraped, attempts, connector=public_id, status_class="none") == 1
    assert value(scraped, attempts, connector=public_id, status_class="2xx") == 0


# What it costs


def test_a_scrape_reads_the_database_in_six_queries_however_many_connectors(django_assert_num_queries):
    DeliveryFactory()
    with django_assert_num_queries(6):
        metrics_read()

    for _ in range(3):
        DeliveryFactory()
    with django_assert_num_queries(6):
        metrics_read()


def _webhook_queries(client, connector, token) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert post(client, connector, token).status_code == 200
    return len(queries.captured_queries)


def test_counting_and_timing_a_webhook_adds_no_query(client, settings, django_assert_num_queries):
    connector = ConnectorFactory()
    token = token_issue(connector=connector, direction="out").plaintext
    _webhook_queries(client, connector, token)  # the caller is remembered from here on, either way
    observed = list(settings.MIDDLEWARE)
    settings.MIDDLEWARE = [name for name in observed if name != "config.middleware.RequestObservationMiddleware"]
    without = _webhook_queries(client, connector, token)
    settings.MIDDLEWARE = observed

    with django_assert_num_queries(without):
        assert post(client, connector, token).status_code == 200


def test_webhook_counts_of_several_processes_add_up_in_multiprocess_mode(tmp_path):
    """Two processes (as gunicorn's workers) each count a webhook; a third, as the one a scrape
    reaches, reads both from PROMETHEUS_MULTIPROC_DIR."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings"}
    count = (
        "import django; django.setup()\n"
        "from config.metrics import webhook_observe\n"
        "webhook_observe(connector='c1', direction='out', status=200, seconds=0.02)\n"
    )
    read = (
        "import django; django.setup()\n"
        "from prometheus_client import CollectorRegistry, generate_latest\n"
        "from prometheus_client.multiprocess import MultiProcessCollector\n"
        "registry = CollectorRegistry(); MultiProcessCollector(registry)\n"
        "print(generate_latest(registry).decode())\n"
    )
    root = Path(__file__).resolve().parents[2]
    for _ in range(2):
        subprocess.run([sys.executable, "-c", count], env=env, cwd=root, check=True, capture_output=True)
    output = subprocess.run([sys.executable, "-c", read], env=env, cwd=root, check=True, capture_output=True, text=True)

    scraped = samples(output.stdout)
    # Each answered in 20 ms: both in the 25 ms bucket.
    webhook = {"connector": "c1", "direction": "out"}
    assert value(scraped, "ee_connect_webhook_requests_total", **webhook, outcome="accepted") == 2
    assert value(scraped, "ee_connect_webhook_duration_seconds_bucket", **webhook, le="0.01") == 0
    assert value(scraped, "ee_connect_webhook_duration_seconds_bucket", **webhook, le="0.025") == 2
