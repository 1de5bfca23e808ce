"""The Celery application. Tasks live in ``events.tasks``; beat runs the sweeper and the pruner."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("ee_connect")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["events"])
app.autodiscover_tasks(["events"], related_name="tasks_console")


def _beat_schedule():
    from django.conf import settings

    return {
        "deliveries-sweep": {"task": "events.deliveries_sweep", "schedule": settings.DELIVERY_SWEEP_SECONDS},
        "log-prune": {"task": "events.log_prune", "schedule": 600.0},
        # Dashboard rollups, and bulk retries whose worker was lost.
        "console-refresh": {"task": "events.console_refresh", "schedule": 60.0},
    }


@app.on_after_finalize.connect
def _install_beat_schedule(sender, **kwargs):
    sender.conf.beat_schedule = _beat_schedule()
