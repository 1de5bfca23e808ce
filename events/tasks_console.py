"""Celery tasks of the support console: thin, they call one service each."""

from celery import shared_task

from events.models import BulkRetryJob
from events.services.console import bulk_retry_job_run, bulk_retry_jobs_resume
from events.services.console_dashboard import rollups_refresh


@shared_task(name="events.bulk_retry_run", ignore_result=True, time_limit=120, soft_time_limit=90)
def bulk_retry_run_task(job_id: int) -> None:
    job = bulk_retry_job_run(job_id=job_id, seconds=50)
    if job.status == BulkRetryJob.Status.RUNNING:  # out of time, not done: continue in a new task
        bulk_retry_run_task.delay(job_id)


@shared_task(name="events.console_refresh", ignore_result=True, time_limit=120, soft_time_limit=90)
def console_refresh_task() -> dict:
    """Every minute: refresh recent rollups; resume bulk retries whose worker was lost."""
    return {"buckets": rollups_refresh(), "jobs_resumed": bulk_retry_jobs_resume()}
