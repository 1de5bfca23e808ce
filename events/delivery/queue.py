"""Hints to the workers that deliveries are due. The Delivery row stays the source of truth.

This module is the pipeline's one door to Celery (an import contract keeps it so): tasks are
sent by name (``events.task_names``), the broker is checked here, and the task's soft time
limit is known here by the name the pipeline catches, ``TimeLimitExceeded``.

A hint names up to ``DELIVERY_HINT_BATCH`` delivery ids, so a worker can claim, send and record
them together. Tasks are sent by name so that services never import the task module (layering),
and a broker that is down never fails the caller: the sweeper re-sends hints for rows whose hint
is stale (``DELIVERY_HINT_STALE_SECONDS``).

In a web process the hints of concurrent requests are gathered by one background thread per
process (``DELIVERY_HINTS_IN_BACKGROUND``): it lingers ``DELIVERY_HINT_LINGER_SECONDS`` after the
first id, and while it sends one hint the ids committed meanwhile wait for the next, so a busy
process sends one message for many events and a request never waits for the broker. Ids not
yet sent when a process dies are in rows already committed with ``enqueued_at`` set: the sweeper
hints them once that mark is stale.
"""

import atexit
import logging
import os
import threading
import time
from collections.abc import Iterable

from celery import current_app
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import connections, transaction

from events import task_names

logger = logging.getLogger(__name__)

FLUSH_AT_EXIT_SECONDS = 5.0

# Raised inside the pipeline's own code when the running task's soft time limit is up: never a
# destination's or the broker's failure, always let through to the task.
TimeLimitExceeded = SoftTimeLimitExceeded


def task_send(name: str, *args: object) -> None:
    """Send the task ``name`` (one of ``events.task_names``) with ``args``; broker errors raise."""
    current_app.send_task(name, args=list(args))


def broker_check(timeout: float) -> None:
    """Connect to the broker once, raising whatever error it gives."""
    with current_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=timeout)


def _batches(ids: list[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def deliveries_enqueue(delivery_ids: Iterable[int]) -> list[int]:
    """Send the hints for ``delivery_ids`` now; return the ids whose hint could not be sent, whose
    rows' hint mark is cleared so the next sweep sends it."""
    from events.models import Delivery

    unsent = []
    for batch in _batches(list(delivery_ids), settings.DELIVERY_HINT_BATCH):
        try:
            task_send(task_names.DELIVERIES_ATTEMPT, batch)
        except SoftTimeLimitExceeded:  # the calling task's time is up: not the broker's failure
            raise
        except Exception:  # any broker failure: the rows are safe, the sweeper retries the hint
            logger.warning("Broker unavailable; %s deliveries will be picked up by the sweeper", len(batch))
            unsent += batch
    if unsent:
        Delivery.objects.filter(pk__in=unsent).update(enqueued_at=None)
    return unsent


class HintSender:
    """Gathers delivery ids from the threads of one process and sends them from one thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids: list[int] = []
        self._pending = threading.Condition(self._lock)
        self._idle = threading.Condition(self._lock)
        self._sending = False
        self._thread: threading.Thread | None = None
        self._pid: int | None = None

    def put(self, delivery_ids: list[int]) -> None:
        with self._lock:
            if self._pid != os.getpid():  # first use, or a forked child: the parent's thread is not here
                self._ids = []
                self._sending = False
                self._pid = os.getpid()
                self._thread = threading.Thread(target=self._run, name="delivery-hints", daemon=True)
                self._thread.start()
            self._ids.extend(delivery_ids)
            self._pending.notify()

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every id put so far has been sent (or marked unsent). False on timeout."""
        with self._lock:
            if self._pid != os.getpid():
                return True
            return self._idle.wait_for(lambda: not self._ids and not self._sending, timeout)

    def _run(self) -> None:
        while True:
            with self._lock:
                self._pending.wait_for(lambda: self._ids)
                # Linger a moment so the ids of requests committing meanwhile share the message.
                linger_until = time.monotonic() + settings.DELIVERY_HINT_LINGER_SECONDS
                while len(self._ids) < settings.DELIVERY_HINT_BATCH and time.monotonic() < linger_until:
                    self._pending.wait(linger_until - time.monotonic())
                ids, self._ids = self._ids, []
                self._sending = True
            try:
                if deliveries_enqueue(ids):
                    connections.close_all()  # this thread's connection, used only on broker failure
            except Exception:  # the database too is down: the marks go stale and the sweeper hints
                logger.exception("Could not send or mark %s delivery hints", len(ids))
            finally:
                with self._lock:
                    self._sending = False
                    self._idle.notify_all()


hint_sender = HintSender()
atexit.register(hint_sender.flush, FLUSH_AT_EXIT_SECONDS)


def deliveries_enqueue_on_commit(delivery_ids: list[int]) -> None:
    """Hint ``delivery_ids`` once the current transaction commits (at once in autocommit)."""
    if not delivery_ids:
        return

    def _send() -> None:
        if settings.DELIVERY_HINTS_IN_BACKGROUND:
            hint_sender.put(delivery_ids)
            return
        deliveries_enqueue(delivery_ids)

    transaction.on_commit(_send)
