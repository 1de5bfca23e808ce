"""A trigger's delivery to AIR whose first answer was lost: the retry carries the same reference,
and AIR refusing it as one it already holds settles the reward as awarded."""

import json

import pytest
import requests
import responses
from django.utils import timezone

from events.console.actions import event_replay
from events.delivery.deliver import delivery_attempt
from events.intake.receive import events_receive
from events.models import Delivery
from rewards.models import RewardLedgerEntry
from rewards.services import ALREADY_PROCESSED
from tests.connectors.factories import ConnectorFactory

pytestmark = pytest.mark.django_db
AIR_TRIGGER = "http://127.0.0.1:8000/sandbox/air/services/trigger"
DUPLICATE = {"errorCode": "DUPLICATE_REFERENCE", "errorMessage": "Wallet transaction reference 'x' already exists."}


@responses.activate
@pytest.mark.parametrize("wallet_transaction", [{"reference": "seg-msg-9"}, None])
def test_a_retry_that_air_refuses_as_already_held_is_the_earlier_success(wallet_transaction):
    body = {"identityValue": "CUST-9", "triggers": [{"reference": "A1"}]}
    if wallet_transaction:
        body["walletTransaction"] = wallet_transaction
    events_receive(connector=ConnectorFactory(), direction="in", payload={"type": "services/trigger", "body": body})
    delivery = Delivery.objects.get()
    responses.post(AIR_TRIGGER, body=requests.ConnectionError("reset by peer"))  # AIR's answer lost
    responses.post(AIR_TRIGGER, status=400, json=DUPLICATE)

    first = delivery_attempt(delivery_id=delivery.pk)
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    second = delivery_attempt(delivery_id=delivery.pk)

    assert (first, second) == (Delivery.Status.RETRYING, Delivery.Status.SUCCEEDED)
    sent = [json.loads(call.request.body)["walletTransaction"]["reference"] for call in responses.calls]
    assert sent == [delivery.idempotency_key] * 2
    delivery.refresh_from_db()
    assert delivery.result == {"already_processed": True, "reference": delivery.idempotency_key}
    entry = RewardLedgerEntry.objects.get()
    assert (entry.status, entry.reason, entry.wallet_transaction_reference) == (
        RewardLedgerEntry.Status.AWARDED,
        ALREADY_PROCESSED,
        delivery.idempotency_key,
    )


@pytest.mark.parametrize("wallet_transaction", [{"reference": "seg-msg-9"}, None])
def test_a_replayed_trigger_is_sent_the_reference_of_its_first_delivery(wallet_transaction):
    body = {"identityValue": "CUST-9", "triggers": [{"reference": "A1"}, {"reference": ""}]}
    if wallet_transaction:
        body["walletTransaction"] = wallet_transaction
    [received] = events_receive(
        connector=ConnectorFactory(), direction="in", payload={"type": "services/trigger", "body": body}
    )

    [replayed] = event_replay(event=received.event)

    first = Delivery.objects.exclude(pk=replayed.pk).get()
    assert (replayed.idempotency_key, replayed.body) == (first.idempotency_key, first.body)
    received.event.refresh_from_db()
    assert received.event.context["refused_triggers"] == [
        {"index": 1, "reason": "An empty trigger reference (an empty element of the audience's comma-separated list)."}
    ]
