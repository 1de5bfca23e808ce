"""The routine beat tasks do not write Celery's lines every few seconds: the sweep says something
only when it did something; other tasks' lines and every failure are logged as before."""

import logging
from datetime import timedelta

import pytest
from celery.app import trace
from celery.beat import logger as beat_logger
from django.utils import timezone

from events.models import Delivery
from events.tasks import deliveries_sweep_task
from tests.events.factories import DeliveryFactory


def _success(name: str) -> None:
    trace.info(trace.LOG_SUCCESS, {"id": "1", "name": name, "runtime": 0.01, "return_value": "{}"})


def _messages(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records]


def test_celerys_lines_for_the_sweep_are_left_out_and_a_delivery_tasks_kept(caplog):
    with caplog.at_level(logging.INFO):
        _success("events.deliveries_sweep")
        beat_logger.info("Scheduler: Sending due task %s (%s)", "deliveries-sweep", "events.deliveries_sweep")
        _success("events.deliveries_attempt")
        beat_logger.info("Scheduler: Sending due task %s (%s)", "log-prune", "events.log_prune")

    assert _messages(caplog) == [
        "Task events.deliveries_attempt[1] succeeded in 0.01s: {}",
        "Scheduler: Sending due task log-prune (events.log_prune)",
    ]


def test_a_sweep_that_fails_is_still_logged(caplog):
    with caplog.at_level(logging.INFO):
        logging.getLogger("celery.app.trace").error(trace.LOG_FAILURE, {
            "id": "2", "name": "events.deliveries_sweep", "description": "raised unexpected", "exc": "OperationalError",
        })

    assert _messages(caplog) == ["Task events.deliveries_sweep[2] raised unexpected: OperationalError"]


@pytest.mark.django_db
def test_a_sweep_that_finds_nothing_logs_only_at_debug(caplog):
    with caplog.at_level(logging.INFO):
        result = deliveries_sweep_task()

    assert (result, _messages(caplog)) == ({"reclaimed": 0, "enqueued": 0, "released": 0}, [])


@pytest.mark.django_db
def test_a_sweep_that_hints_a_due_delivery_says_so(caplog):
    # Due a minute ago and never hinted: the sweep hints it again.
    DeliveryFactory(status=Delivery.Status.RETRYING, next_attempt_at=timezone.now() - timedelta(minutes=1))

    with caplog.at_level(logging.INFO):
        deliveries_sweep_task()

    assert _messages(caplog) == [
        "Sweep: 1 due deliveries hinted again, 0 reclaimed from stopped workers, 0 held released"
    ]
