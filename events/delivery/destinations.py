"""One slow or failing destination cannot slow the others: per connector and destination, a
concurrency cap, a circuit breaker and the connector's outbound rate limit, shared by every worker
through the database (``events/destination_models.py``).

Before each request ``destination_admit`` says whether it may start now or until when its
deliveries wait; after it, ``destination_settle`` frees its slot and tells the circuit how it went.

- Closed: requests go, at most ``DESTINATION_MAX_CONCURRENCY`` at once; one more waits
  ``DESTINATION_BUSY_DELAY_SECONDS``.
- ``DESTINATION_CIRCUIT_FAILURES`` retried failures in a row (timeouts, network errors, 5xx, 429…)
  open it: its deliveries wait until the next probe, ``DESTINATION_CIRCUIT_COOLDOWN_SECONDS`` on.
- Then one request probes it (half-open) while the others keep waiting: an answer that is not such
  a failure closes it, another failure opens it for another cool-down.
- A connector with ``destination_rate_per_second`` starts at most that many requests to each
  destination in each second (a fixed window); one more waits for the next second.

A delivery that waits is not an attempt: the caller gives it back due at the time said here.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from django.conf import settings
from django.db.models import Count, F, Q

from events.destination_models import DestinationCircuit, DestinationSlot

State = DestinationCircuit.State


@dataclass(frozen=True)
class Admission:
    """The answer for one request: admitted (holding the slot leased to ``holder``), or to wait
    until ``wait_until``."""

    circuit_id: int
    holder: str = ""
    probe: bool = False  # this request decides whether a half-open circuit closes
    # Closed with no failure counted when admitted: an answer then has nothing to reset (one
    # statement fewer per request; a failure counted meanwhile elsewhere stays counted).
    healthy: bool = False
    wait_until: datetime | None = None
    reason: str = ""  # why the deliveries wait, for support; empty for a short wait

    @property
    def admitted(self) -> bool:
        return self.wait_until is None


def _lease(now: datetime) -> datetime:
    # A slot or a probe is held as long as the claim of the rows its request carries: a worker
    # that dies holding one gives it back when the sweeper gives its rows back.
    return now + timedelta(seconds=settings.DELIVERY_CLAIM_SECONDS)


def _busy(now: datetime) -> datetime:
    return now + timedelta(seconds=settings.DESTINATION_BUSY_DELAY_SECONDS)


def _circuit_wait(circuit: DestinationCircuit, now: datetime) -> Admission | None:
    circuit_id = circuit.pk
    failures = f"{circuit.consecutive_failures} failures in a row (last: {circuit.last_failure})"
    # An open circuit has its probe time, a half-open one its probe's end: each is set with the state.
    if circuit.state == State.OPEN and cast(datetime, circuit.probe_at) > now:
        reason = f"Waiting: the destination had {failures}; next probe at {circuit.probe_at:%Y-%m-%d %H:%M:%S} UTC"
        return Admission(circuit_id, wait_until=circuit.probe_at, reason=reason)
    if circuit.state == State.HALF_OPEN and cast(datetime, circuit.probe_until) > now:
        reason = f"Waiting: the destination is probed after {failures}"
        return Admission(circuit_id, wait_until=_busy(now), reason=reason)
    return None


def _slot_take(circuit_id: int, now: datetime) -> str | None:
    """Lease a free slot (or one whose lease ended) in one statement; return the holder's token,
    or None when all ``DESTINATION_MAX_CONCURRENCY`` are held. Slots are made on first need, and
    again when the setting grows.

    The freedom test is repeated on the row updated: on PostgreSQL two workers may pick the same
    slot, the second then finds it held once the first commits and waits as if all were held."""
    cap = settings.DESTINATION_MAX_CONCURRENCY
    slots = DestinationSlot.objects.filter(circuit_id=circuit_id, number__lt=cap)
    free = Q(held_until__isnull=True) | Q(held_until__lte=now)
    holder = uuid.uuid4().hex
    for _ in range(2):
        first_free = slots.filter(free).order_by("number").values("pk")[:1]
        if slots.filter(free, pk__in=first_free).update(held_until=_lease(now), holder=holder):
            return holder
        if slots.count() >= cap:
            return None
        DestinationSlot.objects.bulk_create(
            [DestinationSlot(circuit_id=circuit_id, number=number) for number in range(cap)], ignore_conflicts=True
        )
    return None


def _slot_free(admission: Admission) -> None:
    DestinationSlot.objects.filter(holder=admission.holder).update(held_until=None, holder="")


def _rate_take(circuit_id: int, per_second: int, now: datetime) -> datetime | None:
    """Count a request in the current one-second window; None when it fits, else when the next
    window opens. Each step is one conditional UPDATE, so processes never count the same place."""
    window = now.replace(microsecond=0)
    circuit = DestinationCircuit.objects.filter(pk=circuit_id)
    if circuit.filter(Q(window_start__isnull=True) | Q(window_start__lt=window)).update(
        window_start=window, window_count=1
    ):
        return None
    if circuit.filter(window_start=window, window_count__lt=per_second).update(window_count=F("window_count") + 1):
        return None
    return window + timedelta(seconds=1)


def destination_admit(
    *, connector_id: int, destination: str, now: datetime, rate_per_second: int | None = None
) -> Admission:
    """May a request to ``destination`` of this connector start at ``now``? ``rate_per_second``:
    the connector's outbound limit (``Connector.destination_rate_per_second``), if any."""
    circuit, _ = DestinationCircuit.objects.get_or_create(connector_id=connector_id, destination=destination)
    waiting = _circuit_wait(circuit, now)
    if waiting is not None:
        return waiting
    holder = _slot_take(circuit.pk, now)
    if holder is None:
        return Admission(circuit.pk, wait_until=_busy(now))
    next_window = _rate_take(circuit.pk, rate_per_second, now) if rate_per_second else None
    if next_window is not None:
        _slot_free(Admission(circuit.pk, holder=holder))
        return Admission(circuit.pk, wait_until=next_window)
    if circuit.state == State.CLOSED:
        return Admission(circuit.pk, holder=holder, healthy=circuit.consecutive_failures == 0)
    # Open with its probe due, or half-open with its probe lost: one request, this one if it wins.
    probing = DestinationCircuit.objects.filter(
        Q(state=State.OPEN, probe_at__lte=now) | Q(state=State.HALF_OPEN, probe_until__lte=now), pk=circuit.pk
    ).update(state=State.HALF_OPEN, probe_until=_lease(now))
    if probing:
        return Admission(circuit.pk, holder=holder, probe=True)
    _slot_free(Admission(circuit.pk, holder=holder))
    return Admission(circuit.pk, wait_until=_busy(now), reason="Waiting: the destination is being probed")


def destination_settle(*, admission: Admission, now: datetime, sent: bool = True, failure: str = "") -> None:
    """After an admitted request: free its slot and count how it went. ``failure``: the reason,
    when it failed in a way that is retried; ``sent`` False when nothing was sent after all."""
    _slot_free(admission)
    circuit = DestinationCircuit.objects.filter(pk=admission.circuit_id)
    if not sent:
        if admission.probe:  # the next request probes in its place
            circuit.filter(state=State.HALF_OPEN).update(state=State.OPEN, probe_at=now, probe_until=None)
        return
    if not failure:
        if admission.healthy:
            return
        circuit.exclude(state=State.CLOSED, consecutive_failures=0).update(
            state=State.CLOSED, consecutive_failures=0, last_failure="", opened_at=None, probe_at=None,
            probe_until=None,
        )
        return
    circuit.update(consecutive_failures=F("consecutive_failures") + 1, last_failure=failure)
    reopen_at = now + timedelta(seconds=settings.DESTINATION_CIRCUIT_COOLDOWN_SECONDS)
    if admission.probe:
        circuit.filter(state=State.HALF_OPEN).update(state=State.OPEN, probe_at=reopen_at, probe_until=None)
        return
    circuit.filter(state=State.CLOSED, consecutive_failures__gte=settings.DESTINATION_CIRCUIT_FAILURES).update(
        state=State.OPEN, opened_at=now, probe_at=reopen_at
    )


@dataclass(frozen=True)
class DestinationHealth:
    """One destination of a connector as support sees it on the connector's health page."""

    destination: str
    state: str
    state_label: str
    consecutive_failures: int
    last_failure: str
    opened_at: datetime | None
    next_probe_at: datetime | None  # open: when one request probes; half-open: the probe is under way
    in_flight: int


def destination_health(*, connector_id: int, now: datetime) -> list[DestinationHealth]:
    circuits = DestinationCircuit.objects.filter(connector_id=connector_id).annotate(
        in_flight=Count("slots", filter=Q(slots__held_until__gt=now))
    )
    return [
        DestinationHealth(
            destination=circuit.destination,
            state=circuit.state,
            state_label=circuit.get_state_display(),
            consecutive_failures=circuit.consecutive_failures,
            last_failure=circuit.last_failure,
            opened_at=circuit.opened_at,
            next_probe_at=circuit.probe_at if circuit.state == State.OPEN else None,
            in_flight=circuit.in_flight,
        )
        for circuit in circuits.order_by("destination")
    ]
