"""What every fault scenario does: send a known number of uniquely identified AIR notifications,
retrying as a sender would on 503 and network errors, then count where each one ended."""

import copy
import json
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from io import StringIO

import requests
from django.core.management import call_command
from django.db import connections

from connectors.kinds.base import Direction
from connectors.kinds.registry import kind_get
from events.models import Delivery, Event
from tests.e2e.harness import Platform, wait_until

NOTIFICATION = "SERVICE.WALLET.ACCOUNTS.CREATE"
RETRY_PAUSE_SECONDS = 0.3
SEND_DEADLINE_SECONDS = 120


def notification(event_id: str) -> dict:
    body = copy.deepcopy(kind_get("air_segment").samples[Direction.OUT][NOTIFICATION])
    body["headers"]["eesEventId"] = event_id
    return body


@dataclass
class Sent:
    accepted: set[str] = field(default_factory=set)
    refusals: dict[str, int] = field(default_factory=dict)  # "503", "ConnectionError"… → count
    given_up: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def refused(self, reason: str) -> None:
        with self.lock:
            self.refusals[reason] = self.refusals.get(reason, 0) + 1


class Sender:
    """Posts notifications as AIR does: a refusal or a network error is retried until a 200."""

    def __init__(self, platform: Platform, *, path: str, token: str):
        self.url = f"{platform.base_url}{path}"
        self.headers = {"Content-Type": "application/json", "X-Auth-Token": token}
        self.sent = Sent()

    def post_until_accepted(self, event_id: str) -> None:
        body = notification(event_id)
        deadline = time.monotonic() + SEND_DEADLINE_SECONDS
        while time.monotonic() < deadline:
            try:
                response = requests.post(self.url, json=body, headers=self.headers, timeout=10)
            except requests.RequestException as exc:
                self.sent.refused(type(exc).__name__)
            else:
                if response.status_code == 200:
                    with self.sent.lock:
                        self.sent.accepted.add(event_id)
                    return
                assert response.status_code in (429, 503), (response.status_code, response.text)
                self.sent.refused(str(response.status_code))
            time.sleep(RETRY_PAUSE_SECONDS)
        with self.sent.lock:
            self.sent.given_up.add(event_id)

    def send(self, count: int, *, copies: int = 1, per_second: float | None = None, threads: int = 4) -> Sent:
        """Send ``count`` new events, each ``copies`` times, at most ``per_second`` a second."""
        ids = [f"fault-{uuid.uuid4()}" for _ in range(count)]
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=threads) as pool:
            for number, event_id in enumerate(ids):
                if per_second:
                    time.sleep(max(0.0, started + number / per_second - time.monotonic()))
                for _ in range(copies):
                    pool.submit(self.post_until_accepted, event_id)
        return self.sent

    def send_in_background(self, count: int, **options) -> Callable[[], Sent]:
        """Start sending; the returned function waits for the sender to finish."""
        result: list[Sent] = []
        thread = threading.Thread(target=lambda: result.append(self.send(count, **options)), daemon=True)
        thread.start()

        def join() -> Sent:
            thread.join(timeout=SEND_DEADLINE_SECONDS + 30)
            assert result, "the sender did not finish"
            return result[0]

        return join


@dataclass(frozen=True)
class Tally:
    accepted: int
    delivered: int
    failed: int
    pending: int
    lost: int
    duplicates_at_sink: int

    def line(self) -> str:
        return (
            f"accepted {self.accepted} · delivered {self.delivered} · failed {self.failed} · "
            f"still pending {self.pending} · lost {self.lost} · "
            f"duplicates at the sink {self.duplicates_at_sink}"
        )


def _sent_id(notification_key: str) -> str:
    """The ``eesEventId`` a scenario sent, from the key AIR's parser gives its notification."""
    return notification_key.partition(":")[0]


def _sink(platform: Platform) -> dict[str, int]:
    """Segment sandbox: messageId → duplicate count, for the messages it kept."""
    received = requests.get(f"{platform.sandbox('segment')}/received", timeout=30).json()
    return {row["message_id"]: row["duplicate_count"] for row in received["messages"]}


def _fate(event: Event | None, statuses: list[str], *, at_sink: bool) -> str:
    if event is not None and event.status in (Event.Status.FAILED, Event.Status.IGNORED) and event.error:
        return "failed"
    if statuses and all(status == Delivery.Status.SUCCEEDED for status in statuses):
        return "delivered"
    if statuses and all(status in Delivery.TERMINAL_STATUSES for status in statuses):
        return "failed"
    if any(status not in Delivery.TERMINAL_STATUSES for status in statuses):
        return "pending"
    return "delivered" if at_sink else "lost"


def tally(platform: Platform, *, connector, accepted: set[str]) -> Tally:
    connections.close_all()  # the database may have restarted under us
    events = {_sent_id(e.source_event_id): e for e in Event.objects.filter(connector=connector)}
    statuses: dict[int, list[str]] = {}
    message_ids: dict[int, list[str]] = {}  # the Segment messageIds of each event's deliveries
    for event_id, status, next_attempt_at, body in Delivery.objects.filter(connector=connector).values_list(
        "event_id", "status", "next_attempt_at", "body"
    ):
        due = status not in Delivery.DUE_STATUSES or next_attempt_at is not None
        statuses.setdefault(event_id, []).append(status if due else "orphaned")
        message_ids.setdefault(event_id, []).extend(message["messageId"] for message in (body or {}).get("batch", []))
    sink = _sink(platform)
    fates = {"delivered": 0, "failed": 0, "pending": 0, "lost": 0}
    duplicates = 0
    for event_id in accepted:
        event = events.get(event_id)
        kept = [sink[message_id] for message_id in message_ids.get(event.pk, []) if message_id in sink] if event else []
        fate = _fate(event, statuses.get(event.pk, []) if event else [], at_sink=bool(kept))
        fates[fate] += 1
        duplicates += sum(kept)
    return Tally(accepted=len(accepted), duplicates_at_sink=duplicates, **fates)


def settle(platform: Platform, *, connector, accepted: set[str], timeout: float) -> Tally:
    """Wait until nothing is pending (or the time is up), then print and return the tally."""

    def settled():
        counted = tally(platform, connector=connector, accepted=accepted)
        return counted if counted.pending == 0 else None

    try:
        counted = wait_until(settled, timeout=timeout, interval=1.0, message="every event to settle")
    except AssertionError:
        counted = tally(platform, connector=connector, accepted=accepted)
    print(counted.line())
    return counted


def reconciled(*, since: datetime) -> dict:
    """Run the operators' reconciliation over the scenario's window; it exits 1 on any orphan."""
    out = StringIO()
    try:
        call_command("events_reconcile", "--since", since.isoformat(), "--json", stdout=out)
    except SystemExit as exited:
        raise AssertionError(f"events_reconcile found orphans: {out.getvalue()}") from exited
    return json.loads(out.getvalue())
