"""Delivering: claim due rows atomically, send each once, record the attempts, decide what comes next.

The steps live beside this module: ``claiming`` (take due rows, give back those not sent),
``sending`` (plan and send the requests, classify the answers) and ``recording`` (the attempts and
each row's next state). This module runs them in order, within the time a claim lasts.
"""

import time
from collections import deque

from django.conf import settings
from django.utils import timezone

from connectors.kinds.base import ConnectorConfig, OutcomeKind
from connectors.models import Connector
from connectors.services import SECRETS_UNREADABLE, connector_config_cached
from core.logs import log_context_bind
from events.delivery.claiming import deliveries_claim, deliveries_hold, deliveries_release, deliveries_wait
from events.delivery.destinations import destination_admit, destination_settle
from events.delivery.queue import deliveries_enqueue
from events.delivery.recording import attempts_record
from events.delivery.sending import Send, request_send, sends_alone, sends_plan
from events.models import Delivery

# Time kept back from a claim for recording the last request's outcome; a request is only started
# while a whole one (its total deadline) still fits before the claims expire.
CLAIM_MARGIN_SECONDS = 10


def delivery_attempt(*, delivery_id: int, task_id: str = "") -> str | None:
    """Make one attempt at a due delivery. Returns the new status, or None when not claimed."""
    return deliveries_attempt(delivery_ids=[delivery_id], task_id=task_id).get(delivery_id)


def _one_destination(delivery_ids: list[int]) -> list[int]:
    """The ids of one connector's destination (the lowest id's); the others are hinted apart.

    A worker sends one request after another: a hint that mixed destinations would make one
    client's deliveries wait behind another's slow destination.
    """
    groups: dict[tuple[int, str], list[int]] = {}
    rows = Delivery.objects.filter(pk__in=delivery_ids).order_by("pk")
    for pk, connector_id, destination in rows.values_list("pk", "connector_id", "destination"):
        groups.setdefault((connector_id, destination), []).append(pk)
    if len(groups) <= 1:
        return delivery_ids
    first, *others = groups.values()
    for ids in others:
        deliveries_enqueue(ids)
    return first


def _unsendable_hold(deliveries: list[Delivery]) -> dict[int, str]:
    """Hold the claimed rows nothing can be sent for: their connector is not active, or its
    secrets cannot be read. Returns their new status."""
    held = [delivery for delivery in deliveries if delivery.connector.state != Connector.State.ACTIVE]
    if held:
        deliveries_hold(held)
    # Secrets no key decrypts: nothing can be sent, through no fault of the delivery's; held, never failed.
    locked = [
        delivery for delivery in deliveries
        if delivery.connector.state == Connector.State.ACTIVE
        and connector_config_cached(delivery.connector).secrets_unreadable
    ]
    if locked:
        deliveries_hold(locked, last_error=SECRETS_UNREADABLE)
    return {delivery.pk: Delivery.Status.HELD for delivery in held + locked}


def deliveries_attempt(*, delivery_ids: list[int], task_id: str = "", top_up: bool = False) -> dict[int, str]:
    """Make one attempt at each due delivery among ``delivery_ids`` (and, with ``top_up``, at other
    due rows of the same connectors, see ``claiming.deliveries_claim``), merging requests where the
    kind allows; returns the new status of each row claimed. Rows not due are someone else's.

    With ``top_up`` (a worker's hint) only one connector's destination is attempted; the others'
    ids are hinted again apart (``_one_destination``). Each request first asks its destination
    (``destination_admit``): a destination at its concurrency cap or over the connector's rate, or
    with its circuit open, makes its deliveries wait, uncounted, until the time it says."""
    started = time.monotonic()
    if top_up:
        delivery_ids = _one_destination(delivery_ids)
    deliveries = deliveries_claim(delivery_ids=delivery_ids, now=timezone.now(), top_up=top_up)
    statuses = _unsendable_hold(deliveries)
    sends = deque(sends_plan([delivery for delivery in deliveries if delivery.pk not in statuses]))
    # The claims expire after DELIVERY_CLAIM_SECONDS, and the sweeper then gives the rows to
    # another worker: a request is only started while it can end before that.
    send_until = started + settings.DELIVERY_CLAIM_SECONDS - CLAIM_MARGIN_SECONDS - settings.HTTP_TOTAL_TIMEOUT
    statuses.update(_sends_make(sends, send_until=send_until, task_id=task_id))
    return statuses


def _sends_make(sends: deque[Send], *, send_until: float, task_id: str) -> dict[int, str]:
    """Send each planned request in turn, as its destination admits it, and record what came of
    it; the rows of the requests there was no time left for are given back. Returns the new
    status of each row."""
    statuses: dict[int, str] = {}
    configs: dict[int, ConnectorConfig] = {}
    # Until one send has been recorded, the next is made whatever the time: a claim always settles
    # at least one delivery. Otherwise a merged request refused for good, whose deliveries are then
    # to be sent alone, could be given back unsent, claimed and merged again, for ever.
    recorded_one = False
    while sends:
        if recorded_one and time.monotonic() > send_until:
            statuses.update(deliveries_release([delivery for send in sends for delivery in send.deliveries]))
            break
        send = sends.popleft()
        log_context_bind(connector=str(send.connector.public_id), delivery_ids=[d.pk for d in send.deliveries])
        admission = destination_admit(
            connector_id=send.connector.pk,
            destination=send.request.destination,
            now=timezone.now(),
            rate_per_second=send.connector.destination_rate_per_second,
        )
        if not admission.admitted:
            statuses.update(deliveries_wait(send.deliveries, admission))
            continue
        try:
            sent = request_send(send, configs)
        except BaseException:  # interrupted before sending: nothing to record, every row goes back
            destination_settle(admission=admission, now=timezone.now(), sent=False)
            deliveries_release([*send.deliveries, *(delivery for later in sends for delivery in later.deliveries)])
            raise
        failed = sent.outcome.kind is OutcomeKind.RETRY
        destination_settle(
            admission=admission, now=timezone.now(), sent=sent.prepared is not None,
            failure=sent.outcome.reason if failed else "",
        )
        if sent.outcome.kind is OutcomeKind.TERMINAL and len(send.deliveries) > 1:
            sends.extendleft(reversed(sends_alone(send, sent.outcome)))
            continue
        statuses.update(attempts_record(send=send, sent=sent, task_id=task_id))
        recorded_one = True
        if sent.interrupted is not None:
            deliveries_release([delivery for later in sends for delivery in later.deliveries])
            raise sent.interrupted
    return statuses
