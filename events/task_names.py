"""The Celery task names, defined once: the tasks register under them, the pipeline sends hints to
them, beat schedules them and the log filter quietens the routine ones. They are the names queued
messages carry, so they never change with a module's place in the code."""

DELIVERY_ATTEMPT = "events.delivery_attempt"
DELIVERIES_ATTEMPT = "events.deliveries_attempt"
DELIVERIES_SWEEP = "events.deliveries_sweep"
LOG_PRUNE = "events.log_prune"
ALERTS_EVALUATE = "events.alerts_evaluate"
RECONCILE_RECENT = "events.reconcile_recent"
BULK_RETRY_RUN = "events.bulk_retry_run"
CONSOLE_REFRESH = "events.console_refresh"

# Beat tasks that run every few seconds or every minute: their own lines say when they did something.
ROUTINE = frozenset({DELIVERIES_SWEEP, CONSOLE_REFRESH, ALERTS_EVALUATE, RECONCILE_RECENT})
