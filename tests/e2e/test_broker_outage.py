"""The broker is unreachable when a webhook arrives: the webhook is still accepted, and the event is
delivered once the broker is back (the Delivery row is the outbox; beat re-sends the hint)."""

import copy
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest
import redis
import requests

from connectors.kinds.base import Direction
from connectors.kinds.registry import kind_get
from connectors.tokens import token_issue
from events.models import Delivery
from tests.connectors.factories import AIR_SETTINGS, ConnectorFactory
from tests.e2e.harness import Platform, free_port, wait_until

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server to stop and start"),
]


class OwnRedis:
    """A Redis of the test's own, on a free port, that the test may stop and start at will."""

    def __init__(self):
        self.port = free_port()
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        wait_until(self._answers, timeout=10, message="redis to answer")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)

    def _answers(self) -> bool:
        try:
            return redis.Redis(port=self.port, socket_connect_timeout=0.2).ping()
        except redis.RedisError:
            return False


@pytest.fixture
def outage_platform(django_db_setup, transactional_db):
    broker = OwnRedis()
    broker.start()
    var_dir = Path(tempfile.mkdtemp(prefix="ee-connect-outage-"))
    running = Platform(var_dir)
    running.env["CELERY_BROKER_URL"] = f"redis://127.0.0.1:{broker.port}/0"
    try:
        running.start_web()
        running.start_worker()
        running.start_beat()
        yield running, broker
    finally:
        running.stop()
        if broker.process.poll() is None:
            broker.stop()
        shutil.rmtree(var_dir, ignore_errors=True)


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
