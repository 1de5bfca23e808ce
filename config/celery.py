"""The Celery application. Tasks live in ``events.tasks``; beat runs the sweeper and the pruner."""

import os
from typing import Any

from celery import Celery
from celery.signals import task_postrun, task_prerun

from events import task_names

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("ee_connect")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["events"])
app.autodiscover_tasks(["events"], related_name="tasks_console")


def _beat_schedule() -> dict[str, dict[str, str | float]]:
    from django.conf import settings

    return {
        "deliveries-sweep": {"task": task_names.DELIVERIES_SWEEP, "schedule": settings.DELIVERY_SWEEP_SECONDS},
        "log-prune": {"task": task_names.LOG_PRUNE, "schedule": 600.0},
        # Dashboard rollups, and bulk retries whose worker was lost.
        "console-refresh": {"task": task_names.CONSOLE_REFRESH, "schedule": 60.0},
        # Alerts: evaluated every minute; reconciliation (orphans) every ten.
        "alerts-evaluate": {"task": task_names.ALERTS_EVALUATE, "schedule": 60.0},
        "events-reconcile": {"task": task_names.RECONCILE_RECENT, "schedule": 600.0},
    }


# Celery ships no types: its signal decorators are untyped, hence the ignores on the receivers below.
@task_prerun.connect  # type: ignore[untyped-decorator]
@task_postrun.connect  # type: ignore[untyped-decorator]
def _database_connections_check(task: Any = None, **kwargs: Any) -> None:
    """Around each task, as around each web request: drop a thread's connection that failed or
    outlived ``CONN_MAX_AGE`` (so a PostgreSQL restart costs one reconnect), keep the others.
    A task run in the caller's process (eager) is the caller's business, as for Celery's fixup."""
    from django.db import close_old_connections

    if task is not None and not getattr(task.request, "is_eager", False):
        close_old_connections()


@app.on_after_finalize.connect  # type: ignore[untyped-decorator]
def _install_beat_schedule(sender: Any, **kwargs: Any) -> None:
    sender.conf.beat_schedule = _beat_schedule()
