"""Routine beat tasks run every few seconds; the lines Celery writes for each run (beat's "Sending
due task", the worker's "received" and "succeeded") would bury everything else in the log. This
filter drops those INFO lines for the tasks in ``events.task_names.ROUTINE``; the tasks log a line of their
own when they did something, and failures are logged as always (WARNING and above pass).
"""

import logging

from events import task_names


class RoutineTaskFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.INFO:
            return True
        return _task_name(record.args) not in task_names.ROUTINE


def _task_name(args: object) -> str:
    # The worker's lines carry a dict of fields; beat's carry (entry name, task name).
    if isinstance(args, dict):
        return str(args.get("name", ""))
    if isinstance(args, tuple) and len(args) == 2:
        return str(args[1])
    return ""
