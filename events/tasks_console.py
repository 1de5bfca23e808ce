"""Celery tasks of the support console: thin, they call one service each."""

from celery import shared_task

from events import task_names
from events.console.dashboard import rollups_refresh
from events.console.log import bulk_retry_job_run, bulk_retry_jobs_resume
from events.models import BulkRetryJob


@shared_task(name=task_names.BULK_RETRY_RUN, ignore_result=True, time_limit=120, soft_time_limit=90)
def bulk_retry_run_task(job_id: int) -> None:
    job = bulk_retry_job_run(job_id=job_id, seconds=50)
    if job.status == BulkRetryJob.Status.RUNNING:  # out of time, not done: continue in a new task
        bulk_retry_run_task.delay(job_id)


@shared_task(name=task_names.CONSOLE_REFRESH, ignore_result=True, time_limit=120, soft_time_limit=90)
def console_refresh_task() -> dict:
    """Every minute: refresh recent rollups; resume bulk retries whose worker was lost."""
    return {"buckets": rollups_refresh(), "jobs_resumed": bulk_retry_jobs_resume()}
