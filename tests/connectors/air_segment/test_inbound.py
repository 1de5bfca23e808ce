"""Segment's Eagle Eye destination → one AIR services/trigger call."""

import copy
import dataclasses
import hashlib

import pytest

from connectors.kinds.air_segment import KIND
from connectors.kinds.base import Direction, OutboundRequest, PayloadInvalid, Translation
from tests.connectors.air_segment.support import config_make


def body(**changes):
    payload = copy.deepcopy(KIND.samples[Direction.IN]["services/trigger"])
    payload["body"].update(changes)
    return payload


def test_a_trigger_is_parsed_with_its_identity_references_and_wallet_transaction():
    [event] = KIND.parse(
        Direction.IN, body(triggers=[{"reference": " WELCOME1 "}, {"reference": "P2"}]), config_make()
    )

    assert (event.event_type, event.source_event_id, event.identity, event.occurred_at) == (
        "services/trigger",
        "seg-msg-0001",
        "CUST-1001",
        None,
    )
    assert event.context == {
        "identity_value": "CUST-1001",
        "trigger_references": ["WELCOME1", "P2"],
        "wallet_transaction_reference": "seg-msg-0001",
    }


def test_a_trigger_becomes_one_air_call_with_only_the_inner_body():
    config = config_make()
    [event] = KIND.parse(Direction.IN, body(), config)

    translation = KIND.build(Direction.IN, event, [], config)

    assert translation == Translation(
        requests=[
            OutboundRequest(
                destination="air",
                method="POST",
                url="https://wallet.example.test/services/trigger",
                body={
                    "identityValue": "CUST-1001",
                    "walletTransaction": {"reference": "seg-msg-0001"},
                    "triggers": [{"reference": "WELCOME1"}],
                },
                idempotency_key="seg-msg-0001",
            )
        ]
    )


def test_without_a_wallet_transaction_the_reference_is_derived_from_the_event_id():
    config = config_make()
    payload = body()
    del payload["body"]["walletTransaction"]
    [parsed] = KIND.parse(Direction.IN, payload, config)
    event = dataclasses.replace(parsed, source_event_id="sha256-of-body")

    first = KIND.build(Direction.IN, event, [], config)
    again = KIND.build(Direction.IN, event, [], config)

    reference = "eec-" + hashlib.sha256(b"sha256-of-body").hexdigest()[:40]
    assert parsed.source_event_id == ""
    assert first == again
    assert first.requests[0].body["walletTransaction"] == {"reference": reference}
    assert first.requests[0].idempotency_key == reference


@pytest.mark.parametrize(
    ("payload", "errors"),
    [
        (
            {"type": "identify", "body": {"identityValue": "C", "triggers": [{"reference": "A"}]}},
            [("type", 'Must be "services/trigger".')],
        ),
        ({"type": "services/trigger"}, [("body", "Required, an object with identityValue and triggers.")]),
        (
            {"type": "services/trigger", "body": {"identityValue": "  ", "triggers": []}},
            [
                ("body.identityValue", "Required, a non-empty string (the customer's identity)."),
                ("body.triggers", 'Required, a list of at least one {"reference": ...}.'),
            ],
        ),
        (
            {
                "type": "services/trigger",
                "body": {"identityValue": "C", "triggers": [{"reference": "A"}, {"reference": " "}, "B"]},
            },
            [
                ("body.triggers[1].reference", "Required, a non-empty trigger reference."),
                ("body.triggers[2].reference", "Required, a non-empty trigger reference."),
            ],
        ),
        (
            {
                "type": "services/trigger",
                "body": {"identityValue": "C", "walletTransaction": "R", "triggers": [{"reference": "A"}]},
            },
            [("body.walletTransaction", "Must be an object with a reference.")],
        ),
        (
            {
                "type": "services/trigger",
                "body": {
                    "identityValue": "C",
                    "walletTransaction": {"reference": 7},
                    "triggers": [{"reference": "A"}],
                },
            },
            [("body.walletTransaction.reference", "Must be a non-empty string.")],
        ),
        ("text", [("", "The body must be a JSON object.")]),
    ],
)
def test_an_unusable_trigger_is_refused_naming_every_bad_field(payload, errors):
    with pytest.raises(PayloadInvalid) as raised:
        KIND.parse(Direction.IN, payload, config_make())

    assert [(error.path, error.message) for error in raised.value.errors] == errors
