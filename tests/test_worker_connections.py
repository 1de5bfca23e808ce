"""A worker keeps its database connection from task to task, as a web process does between
requests, and drops it only when it failed or outlived ``CONN_MAX_AGE``."""

import pytest
from celery.fixups.django import DjangoWorkerFixup
from celery.signals import task_postrun, task_prerun
from django.db import connection

from config.celery import app
from events.tasks import deliveries_sweep_task

pytestmark = pytest.mark.django_db(transaction=True)  # autocommit, as in a worker


@pytest.fixture
def task():
    return deliveries_sweep_task


@pytest.fixture
def kept_for_a_minute():
    """The PostgreSQL settings' persistent connections, whatever the suite runs on."""
    previous = connection.settings_dict["CONN_MAX_AGE"]
    connection.close()
    connection.settings_dict["CONN_MAX_AGE"] = 60
    yield
    connection.close()
    connection.settings_dict["CONN_MAX_AGE"] = previous


def _around_a_task(task) -> None:
    """What a worker thread runs around each task: Celery's Django fixup, then ours (connected)."""
    fixup = DjangoWorkerFixup(app)
    for signal in (task_prerun, task_postrun):
        fixup.close_database()
        signal.send(sender=task, task=task, task_id="t-1", args=(), kwargs={})


def test_a_connection_outlives_the_task(task, kept_for_a_minute):
    connection.ensure_connection()
    opened = connection.connection

    _around_a_task(task)

    assert connection.connection is opened


def test_a_connection_past_its_age_is_closed_after_the_task(task, kept_for_a_minute):
    connection.ensure_connection()
    connection.close_at = 0  # aged out

    _around_a_task(task)

    assert connection.connection is None


def test_a_task_run_eagerly_leaves_the_callers_connection_alone(task, kept_for_a_minute):
    connection.ensure_connection()
    connection.close_at = 0
    opened = connection.connection
    task.push_request(is_eager=True)
    try:
        task_postrun.send(sender=task, task=task, task_id="t-1", args=(), kwargs={})
    finally:
        task.pop_request()

    assert connection.connection is opened
