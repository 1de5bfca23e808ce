"""The broker is unreachable when a webhook arrives: the webhook is still accepted, and the event is
delivered once the broker is back (the Delivery row is the outbox; beat re-sends the hint)."""

import copy
import shutil
import uuid

import pytest
import requests

from connectors.kinds.base import Direction
from connectors.kinds.registry import kind_get
from connectors.tokens import token_issue
from events.models import Delivery
from tests.connectors.factories import AIR_SETTINGS, ConnectorFactory
from tests.e2e.harness import platform_running, wait_until
from tests.faults.servers import OwnRedis

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server to stop and start"),
]


@pytest.fixture
def outage_platform(django_db_setup, transactional_db):
    broker = OwnRedis()
    broker.start()
    try:
        with platform_running(prefix="ee-connect-outage-", CELERY_BROKER_URL=broker.url) as running:
            yield running, broker
    finally:
        broker.destroy()


def test_a_webhook_arriving_while_the_broker_is_down_is_accepted_and_delivered_later(outage_platform):
    live, broker = outage_platform
    requests.delete(f"{live.sandbox('segment')}/received", timeout=5)
    connector = ConnectorFactory(settings={**AIR_SETTINGS, "segment_base_url": live.sandbox("segment")})
    token = token_issue(connector=connector, direction="out").plaintext
    notification = copy.deepcopy(kind_get("air_segment").samples[Direction.OUT]["SERVICE.WALLET.CREATE"])
    notification["headers"]["eesEventId"] = str(uuid.uuid4())

    broker.stop()
    response = live.post(f"/out/segment/{connector.public_id}", notification, token=token)

    assert response.status_code == 200, response.text
    delivery = Delivery.objects.get(event__public_id=response.json()["event_id"])
    assert delivery.status == Delivery.Status.PENDING

    broker.start()
    wait_until(
        lambda: Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.SUCCEEDED).exists(),
        timeout=120,
        message="the delivery once the broker is back",
    )
    sent = {m["messageId"] for m in delivery.body["batch"]}
    assert sent <= {m["messageId"] for m in live.segment_messages()}
