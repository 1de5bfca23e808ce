"""Log lines carry what they are about; LOG_FORMAT=json writes them as one JSON object a line."""

import copy
import io
import json
import logging
import sys
import uuid

import pytest
import responses

from connectors.kinds.base import Direction
from connectors.kinds.registry import kind_get
from connectors.tokens import token_issue
from core.logs import (
    JsonFormatter,
    LogContextFilter,
    log_context,
    log_context_bind,
    log_context_get,
    logging_configure,
)
from events.delivery import deliver
from events.models import Delivery
from events.tasks import delivery_attempt_task
from tests.connectors.factories import ConnectorFactory

SEGMENT_BATCH = "http://127.0.0.1:8000/sandbox/segment/v1/batch"


def notification() -> dict:
    body = copy.deepcopy(kind_get("air_segment").samples[Direction.OUT]["SERVICE.WALLET.ACCOUNTS.CREATE"])
    body["headers"]["eesEventId"] = str(uuid.uuid4())
    return body


@pytest.fixture
def json_lines():
    """The JSON lines every logger writes during the test, as LOG_FORMAT=json writes them."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(LogContextFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    root.setLevel(level)


@pytest.mark.django_db
def test_the_line_for_a_received_event_carries_its_event_id_trace_id_and_connector(client, json_lines):
    connector = ConnectorFactory()
    token = token_issue(connector=connector, direction="out").plaintext

    response = client.post(
        f"/out/segment/{connector.public_id}", data=json.dumps(notification()),
        content_type="application/json", HTTP_X_AUTH_TOKEN=token,
    )

    assert response.status_code == 200
    event_id = response.json()["event_id"]
    [line] = [line for line in json_lines() if line["logger"] == "ee_connect.webhooks"]
    assert line["event_id"] == event_id
    assert line["trace_id"] == response["X-EES-Connector-Trace-Id"] == event_id
    assert line["connector"] == str(connector.public_id)
    assert line["level"] == "INFO"
    assert line["message"].startswith("webhook out answered 200 in ")


@pytest.mark.django_db
def test_a_refused_webhook_for_an_unknown_connector_carries_no_ids(client, json_lines):
    response = client.post(
        f"/out/segment/{uuid.uuid4()}", data="{}", content_type="application/json", HTTP_X_AUTH_TOKEN="eec_out_x"
    )

    assert response.status_code == 403
    [line] = [line for line in json_lines() if line["logger"] == "ee_connect.webhooks"]
    assert set(line) == {"time", "level", "logger", "message"}


@pytest.mark.django_db
@responses.activate
def test_lines_logged_while_a_delivery_is_sent_carry_its_id_and_connector(client, json_lines, monkeypatch):
    connector = ConnectorFactory()
    token = token_issue(connector=connector, direction="out").plaintext
    client.post(f"/out/segment/{connector.public_id}", data=json.dumps(notification()),
                content_type="application/json", HTTP_X_AUTH_TOKEN=token)
    delivery = Delivery.objects.get()
    responses.post(SEGMENT_BATCH, json={"success": True})
    settle = deliver.destination_settle

    def settle_and_log(**kwargs):  # a line logged in the middle of the send, as a warning would be
        logging.getLogger("events.delivery.deliver").info("settled")
        return settle(**kwargs)

    monkeypatch.setattr(deliver, "destination_settle", settle_and_log)

    assert delivery_attempt_task(delivery.pk) == Delivery.Status.SUCCEEDED

    [line] = [line for line in json_lines() if line["message"] == "settled"]
    assert line["delivery_id"] == delivery.pk
    assert line["delivery_ids"] == [delivery.pk]
    assert line["connector"] == str(connector.public_id)
    assert log_context_get() == {}  # nothing is left bound once the task is over


def test_a_context_ends_with_its_request_or_task():
    with log_context(trace_id="t-1"):
        log_context_bind(event_id="e-1", connector=None)
        inside = log_context_get()
    log_context_bind(event_id="outside any request")

    assert inside == {"trace_id": "t-1", "event_id": "e-1"}
    assert log_context_get() == {}


def test_a_json_line_holds_the_traceback_of_an_exception():
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed %s", ("here",), None)
    try:
        raise ValueError("boom")
    except ValueError:
        record.exc_info = sys.exc_info()

    line = json.loads(JsonFormatter().format(record))

    assert line["message"] == "failed here"
    assert line["level"] == "ERROR"
    assert line["exception"].endswith("ValueError: boom")


def test_json_format_switches_every_handler_and_keeps_the_filters_configured():
    config = {
        "version": 1,
        "formatters": {"plain": {"format": "%(message)s"}},
        "filters": {"routine": {"()": "logging.Filter"}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["routine"]}},
    }

    text = logging_configure(config, log_format="text")
    as_json = logging_configure(config, log_format="json")

    assert text["handlers"]["console"] == {
        "class": "logging.StreamHandler", "formatter": "plain", "filters": ["routine", "log_context"],
    }
    assert as_json["handlers"]["console"]["formatter"] == "json"
    assert as_json["formatters"]["json"] == {"()": "core.logs.JsonFormatter"}
    assert config["handlers"]["console"]["filters"] == ["routine"]  # the setting passed in is left as it was


def test_an_unknown_log_format_stops_the_start_naming_the_value():
    with pytest.raises(ValueError, match="LOG_FORMAT must be text or json, not 'xml'"):
        logging_configure({"version": 1}, log_format="xml")
