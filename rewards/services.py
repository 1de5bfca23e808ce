"""Reward services the pipeline calls: the trigger-reference check and the reward ledger.

Nothing here talks to a remote API: the pipeline sends the trigger to AIR and reports back.
"""

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from connectors.models import Connector
from events.models import Delivery, Event
from rewards.models import RewardLedgerEntry, TriggerReference, TriggerWindow

# What the AIR notification parser says a SERVICE.TRIGGER awarded: points credited (or, failing that,
# the behavioural action's {"points", …}) and e-coupon accounts created.
FOLLOW_UP_POINTS_KEYS = ("points_earned", "awarded_points")
FOLLOW_UP_COUPONS_KEYS = ("coupons_awarded",)
ALREADY_PROCESSED = (
    "AIR already held this wallet transaction reference: an earlier attempt was processed, and what it "
    "awarded comes with AIR's SERVICE.TRIGGER notification."
)


def trigger_references_check(*, connector: Connector, references: list[str]) -> list[str]:
    """The references to refuse: none unless the connector refuses unknown ones, then each not active."""
    if not connector.settings.get("refuse_unknown_triggers"):
        return []
    wanted = list(dict.fromkeys(references))
    known = set(
        TriggerReference.objects.filter(connector=connector, active=True, reference__in=wanted).values_list(
            "reference", flat=True
        )
    )
    return [reference for reference in wanted if reference not in known]


def trigger_window_claim(
    *, connector: Connector, key: str, seconds: int, now: datetime, event_public_id: uuid.UUID
) -> TriggerWindow | None:
    """Count a trigger in the connector's repeat window for ``key``: None when it counts (the
    window now runs ``seconds`` from ``now``), else the window that already counted one.

    Called inside the transaction that stores the event, so the claim is undone with it. Race-free
    on both databases: the UPDATE claims an ended window only if it is still ended when the row is
    written (PostgreSQL re-checks the condition after waiting for a concurrent claim), and of two
    INSERTs of a first window the unique constraint lets one through.
    """
    until = now + timedelta(seconds=seconds)
    windows = TriggerWindow.objects.filter(connector=connector, key=key)
    if windows.filter(counted_until__lte=now).update(counted_until=until, counted_event=event_public_id):
        return None
    try:
        with transaction.atomic():
            TriggerWindow.objects.create(
                connector=connector, key=key, counted_until=until, counted_event=event_public_id
            )
    except IntegrityError:
        return windows.get()
    return None


def trigger_windows_ended(*, before: datetime) -> QuerySet[TriggerWindow]:
    """Repeat windows that ended before ``before``: nothing left to guard, safe to delete."""
    return TriggerWindow.objects.filter(counted_until__lt=before)


def reward_request_record(*, event: Event, delivery: Delivery) -> RewardLedgerEntry:
    """Open the ledger entry for a trigger request about to be sent to AIR; once per delivery."""
    context = event.context or {}
    entry, _created = RewardLedgerEntry.objects.get_or_create(
        delivery=delivery,
        defaults={
            "connector": event.connector,
            "identity": context.get("identity_value") or event.identity,
            "trigger_references": _reference_list(context.get("trigger_references") or []),
            # The reference AIR actually received, which is what its notification will carry.
            "wallet_transaction_reference": delivery.idempotency_key,
            "request_event": event,
            "requested_at": timezone.now(),
        },
    )
    return entry


@transaction.atomic
def reward_outcome_record(
    *, delivery: Delivery, succeeded: bool, reason: str = "", result: dict[str, Any] | None = None
) -> RewardLedgerEntry | None:
    """Settle the entry of a delivery that succeeded or ended for good.

    A failure is *refused* when AIR answered with a 4xx (the request itself was turned down, such
    as an unknown identity) and *failed* otherwise (no answer, or errors until retries ran out);
    the caller stores the delivery's last status code before reporting. An awarded entry stays
    awarded: nothing that happens to the delivery later takes a reward back.
    """
    entry = RewardLedgerEntry.objects.select_for_update().filter(delivery=delivery).first()
    if entry is None or entry.status == RewardLedgerEntry.Status.AWARDED:
        return entry
    entry.settled_at = timezone.now()
    if succeeded:
        result = result or {}
        entry.status = RewardLedgerEntry.Status.AWARDED
        entry.reason = ALREADY_PROCESSED if result.get("already_processed") else ""
        entry.wallet_transaction_id = str(result.get("wallet_transaction_id") or entry.wallet_transaction_id)
        _awards_fill(entry, points=result.get("points"), coupons=result.get("coupons"))
    else:
        refused = delivery.last_status_code is not None and 400 <= delivery.last_status_code < 500
        entry.status = RewardLedgerEntry.Status.REFUSED if refused else RewardLedgerEntry.Status.FAILED
        entry.reason = reason
    entry.save()
    return entry


@transaction.atomic
def reward_follow_up_link(*, event: Event) -> RewardLedgerEntry | None:
    """Link AIR's SERVICE.TRIGGER notification to the ledger entry of the trigger we sent.

    The entry is found by wallet transaction reference among every connector of the event's
    client, since the inbound and outbound directions may be separate connectors. A notification
    for a trigger someone else sent to AIR finds no entry. The first notification linked stays.
    """
    context = event.context or {}
    reference = context.get("wallet_transaction_reference") or (context.get("transaction") or {}).get(
        "reference"
    )
    if not reference:
        return None
    entry = (
        RewardLedgerEntry.objects.select_for_update()
        .filter(connector__client_id=event.connector.client_id, wallet_transaction_reference=reference)
        .order_by("-requested_at", "-pk")
        .first()
    )
    if entry is None or entry.follow_up_event_id is not None:
        return entry
    entry.follow_up_event = event
    entry.linked_at = timezone.now()
    _awards_fill(
        entry,
        points=_first_present(context, FOLLOW_UP_POINTS_KEYS),
        coupons=_first_present(context, FOLLOW_UP_COUPONS_KEYS),
    )
    entry.save()
    return entry


def _awards_fill(entry: RewardLedgerEntry, *, points: Any, coupons: Any) -> None:
    """Fill what the entry does not know yet; a value already recorded is never overwritten."""
    if entry.points_awarded is None and isinstance(points, Mapping):
        points = points.get("points")
    if entry.points_awarded is None and isinstance(points, int | float) and not isinstance(points, bool):
        entry.points_awarded = int(points)
    if not entry.coupons_awarded and isinstance(coupons, list) and coupons:
        entry.coupons_awarded = coupons


def _first_present(context: Mapping[str, Any], keys: Iterable[str]) -> Any:
    return next((context[key] for key in keys if context.get(key) is not None), None)


def _reference_list(references: Iterable[Any]) -> list[str]:
    """Trigger references as plain strings, whether the context lists strings or AIR's {reference} objects."""
    return [str(item.get("reference", "")) if isinstance(item, Mapping) else str(item) for item in references]
