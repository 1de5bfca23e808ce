"""Reward services the pipeline calls: the trigger-reference check and the reward ledger.

Nothing here talks to a remote API: the pipeline sends the trigger to AIR and reports back. What
the services take are plain values (ids, references, points), read from the pipeline's events by
their connector's kind (``connectors.kinds.base.RewardHandling``), so the ledger knows neither the
pipeline's models nor a partner's wire format.
"""

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from rewards.models import RewardLedgerEntry, TriggerReference, TriggerWindow

ALREADY_PROCESSED = (
    "AIR already held this wallet transaction reference: an earlier attempt was processed, and what it "
    "awarded comes with AIR's SERVICE.TRIGGER notification."
)


def trigger_references_check(*, connector_id: int, references: Iterable[str], refuse_unknown: bool) -> list[str]:
    """The references to refuse: none unless the connector refuses unknown ones, then each not active."""
    if not refuse_unknown:
        return []
    wanted = list(dict.fromkeys(references))
    known = set(
        TriggerReference.objects.filter(connector_id=connector_id, active=True, reference__in=wanted).values_list(
            "reference", flat=True
        )
    )
    return [reference for reference in wanted if reference not in known]


def trigger_window_claim(
    *, connector_id: int, key: str, seconds: int, now: datetime, event_public_id: uuid.UUID
) -> TriggerWindow | None:
    """Count a trigger in the connector's repeat window for ``key``: None when it counts (the
    window now runs ``seconds`` from ``now``), else the window that already counted one.

    Called inside the transaction that stores the event, so the claim is undone with it. Race-free
    on both databases: the UPDATE claims an ended window only if it is still ended when the row is
    written (PostgreSQL re-checks the condition after waiting for a concurrent claim), and of two
    INSERTs of a first window the unique constraint lets one through.
    """
    until = now + timedelta(seconds=seconds)
    windows = TriggerWindow.objects.filter(connector_id=connector_id, key=key)
    if windows.filter(counted_until__lte=now).update(counted_until=until, counted_event=event_public_id):
        return None
    try:
        with transaction.atomic():
            TriggerWindow.objects.create(
                connector_id=connector_id, key=key, counted_until=until, counted_event=event_public_id
            )
    except IntegrityError:
        return windows.get()
    return None


def trigger_windows_ended(*, before: datetime) -> QuerySet[TriggerWindow]:
    """Repeat windows that ended before ``before``: nothing left to guard, safe to delete."""
    return TriggerWindow.objects.filter(counted_until__lt=before)


def reward_request_record(
    *,
    connector_id: int,
    request_event_id: int,
    delivery_id: int,
    identity: str,
    triggers: Iterable[str],
    reference: str,
) -> RewardLedgerEntry:
    """Open the ledger entry for a trigger request about to be sent to AIR; once per delivery.

    ``reference`` is the one AIR actually receives (the delivery's), which is what its
    notification will carry.
    """
    entry, _created = RewardLedgerEntry.objects.get_or_create(
        delivery_id=delivery_id,
        defaults={
            "connector_id": connector_id,
            "identity": identity,
            "trigger_references": list(triggers),
            "wallet_transaction_reference": reference,
            "request_event_id": request_event_id,
            "requested_at": timezone.now(),
        },
    )
    return entry


@transaction.atomic
def reward_outcome_record(
    *,
    delivery_id: int,
    succeeded: bool,
    status_code: int | None = None,
    reason: str = "",
    transaction_id: str = "",
    points: int | None = None,
    coupons: Iterable[Mapping[str, Any]] = (),
    already_processed: bool = False,
) -> RewardLedgerEntry | None:
    """Settle the entry of a delivery that succeeded or ended for good.

    A failure is *refused* when AIR answered with a 4xx (``status_code``, the delivery's last: the
    request itself was turned down, such as an unknown identity) and *failed* otherwise (no
    answer, or errors until retries ran out). An awarded entry stays awarded: nothing that
    happens to the delivery later takes a reward back.
    """
    entry = RewardLedgerEntry.objects.select_for_update().filter(delivery_id=delivery_id).first()
    if entry is None or entry.status == RewardLedgerEntry.Status.AWARDED:
        return entry
    entry.settled_at = timezone.now()
    if succeeded:
        entry.status = RewardLedgerEntry.Status.AWARDED
        entry.reason = ALREADY_PROCESSED if already_processed else ""
        entry.wallet_transaction_id = transaction_id or entry.wallet_transaction_id
        _awards_fill(entry, points=points, coupons=coupons)
    else:
        refused = status_code is not None and 400 <= status_code < 500
        entry.status = RewardLedgerEntry.Status.REFUSED if refused else RewardLedgerEntry.Status.FAILED
        entry.reason = reason
    entry.save()
    return entry


@transaction.atomic
def reward_follow_up_link(
    *,
    client_id: int,
    follow_up_event_id: int,
    reference: str,
    points: int | None = None,
    coupons: Iterable[Mapping[str, Any]] = (),
) -> RewardLedgerEntry | None:
    """Link AIR's SERVICE.TRIGGER notification to the ledger entry of the trigger we sent.

    The entry is found by wallet transaction reference among every connector of the client,
    since the inbound and outbound directions may be separate connectors. A notification for a
    trigger someone else sent to AIR finds no entry. The first notification linked stays.
    """
    if not reference:
        return None
    entry = (
        RewardLedgerEntry.objects.select_for_update()
        .filter(connector__client_id=client_id, wallet_transaction_reference=reference)
        .order_by("-requested_at", "-pk")
        .first()
    )
    if entry is None or entry.follow_up_event_id is not None:
        return entry
    entry.follow_up_event_id = follow_up_event_id
    entry.linked_at = timezone.now()
    _awards_fill(entry, points=points, coupons=coupons)
    entry.save()
    return entry


def _awards_fill(entry: RewardLedgerEntry, *, points: int | None, coupons: Iterable[Mapping[str, Any]]) -> None:
    """Fill what the entry does not know yet; a value already recorded is never overwritten."""
    if entry.points_awarded is None and points is not None:
        entry.points_awarded = points
    coupons = list(coupons)
    if not entry.coupons_awarded and coupons:
        entry.coupons_awarded = coupons
