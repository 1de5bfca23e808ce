"""Secrets a destination echoes back are redacted from what the delivery log keeps (Support reads it)."""

import base64
import json

import pytest
import responses

from events.delivery.deliver import delivery_attempt
from tests.connectors.factories import AIR_SECRETS
from tests.events.factories import DeliveryFactory

pytestmark = pytest.mark.django_db
SANDBOX_BATCH = "http://127.0.0.1:8000/sandbox/segment/v1/batch"


@responses.activate
def test_secrets_a_destination_echoes_are_redacted_from_the_stored_response():
    delivery = DeliveryFactory(url=SANDBOX_BATCH)
    write_key = AIR_SECRETS["segment_write_key"]
    basic = base64.b64encode(f"{write_key}:".encode()).decode()
    echo = {"received": {"headers": {"Authorization": f"Basic {basic}"}, "writeKey": write_key}}
    responses.post(SANDBOX_BATCH, json=echo, headers={"X-Echo": f"Basic {basic}", "X-Request-Id": "r-1"})

    delivery_attempt(delivery_id=delivery.pk)

    attempt = delivery.attempt_log.get()
    assert json.loads(attempt.response_body) == {
        "received": {"headers": {"Authorization": "Basic [redacted]"}, "writeKey": "[redacted]"}
    }
    assert attempt.response_headers["X-Echo"] == "Basic [redacted]"
    assert attempt.response_headers["X-Request-Id"] == "r-1"
    assert write_key not in json.dumps(attempt.response_headers) + attempt.response_body


@responses.activate
def test_a_secret_cut_by_the_body_limit_is_redacted_too():
    delivery = DeliveryFactory(url=SANDBOX_BATCH)
    write_key = AIR_SECRETS["segment_write_key"]  # "sandbox-write-key", 17 characters
    # 8,192 bytes are kept: 8,184 of padding, then the key's first 8 characters ("sandbox-").
    responses.post(SANDBOX_BATCH, status=200, body="x" * 8184 + write_key + "x" * 100)

    delivery_attempt(delivery_id=delivery.pk)

    assert delivery.attempt_log.get().response_body == "x" * 8184 + "[redacted]"
