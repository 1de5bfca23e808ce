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


KEY_OF_SAMPLE = "trigger:" + hashlib.sha256(b'["seg-msg-0001","CUST-1001",["WELCOME1"]]').hexdigest()


def test_a_trigger_is_parsed_with_its_identity_references_and_wallet_transaction():
    [event] = KIND.parse(
        Direction.IN, body(triggers=[{"reference": " WELCOME1 "}, {"reference": "P2"}]), config_make()
    )

    # The key is the SHA-256 of the canonical JSON [reference, identity, sorted triggers].
    key = "trigger:" + hashlib.sha256(b'["seg-msg-0001","CUST-1001",["P2","WELCOME1"]]').hexdigest()
    assert (event.event_type, event.source_event_id, event.identity, event.occurred_at) == (
        "services/trigger",
        key,
        "CUST-1001",
        None,
    )
    assert len(event.source_event_id) == 72  # "trigger:" and 64 hex digits, whatever the reference's length
    assert event.context == {
        "identity_value": "CUST-1001",
        "trigger_references": ["WELCOME1", "P2"],
        "refused_triggers": [],
        "wallet_transaction_reference": "seg-msg-0001",
    }


def _key(**changes) -> str:
    [event] = KIND.parse(Direction.IN, body(**changes), config_make())
    return event.source_event_id


def test_a_segment_retry_has_the_same_key_whatever_the_order_or_repeats_of_its_triggers():
    once = _key(triggers=[{"reference": "A1"}, {"reference": "P1"}])

    assert _key(triggers=[{"reference": "A1"}, {"reference": "P1"}]) == once
    assert _key(triggers=[{"reference": "P1"}, {"reference": "A1"}, {"reference": "A1"}]) == once
    assert _key(triggers=[{"reference": "A1"}, {"reference": ""}, {"reference": "P1"}]) == once


def test_one_reference_for_another_customer_or_other_triggers_is_another_key():
    keys = {
        _key(),
        _key(identityValue="CUST-2002"),
        _key(triggers=[{"reference": "P1"}]),
        _key(triggers=[{"reference": "WELCOME1"}, {"reference": "P1"}]),
        _key(walletTransaction={"reference": "seg-msg-0002"}),
    }

    assert len(keys) == 5


def test_a_reference_too_long_to_be_a_key_is_hashed_whole():
    long_reference = "x" * 300

    first = _key(walletTransaction={"reference": long_reference})
    second = _key(walletTransaction={"reference": long_reference + "y"})

    assert (len(first), len(second)) == (72, 72)
    assert first != second


def test_a_trigger_becomes_one_air_call_with_only_the_inner_body():
    config = config_make()
    [event] = KIND.parse(Direction.IN, body(), config)

    translation = KIND.build(Direction.IN, event, [], config)

    # Segment's reference, then "-" and the key's first 12 hex digits.
    reference = "seg-msg-0001-" + KEY_OF_SAMPLE.removeprefix("trigger:")[:12]
    assert translation == Translation(
        requests=[
            OutboundRequest(
                destination="air",
                method="POST",
                url="https://wallet.example.test/services/trigger",
                body={
                    "identityValue": "CUST-1001",
                    "walletTransaction": {"reference": reference},
                    "triggers": [{"reference": "WELCOME1"}],
                },
                idempotency_key=reference,
            )
        ]
    )


def _air_reference(**changes) -> str:
    config = config_make()
    [event] = KIND.parse(Direction.IN, body(**changes), config)
    return KIND.build(Direction.IN, event, [], config).requests[0].idempotency_key


def test_air_is_sent_one_reference_per_reward_and_the_same_one_for_a_retry():
    first = _air_reference()
    other_customer = _air_reference(identityValue="CUST-2002")
    other_triggers = _air_reference(triggers=[{"reference": "P1"}])

    assert _air_reference() == first
    assert len({first, other_customer, other_triggers}) == 3
    assert all(value.startswith("seg-msg-0001-") for value in (first, other_customer, other_triggers))


def test_an_event_stored_under_segments_reference_alone_is_sent_that_reference_on_replay():
    config = config_make()
    [parsed] = KIND.parse(Direction.IN, body(), config)
    # Stored before the key took in identity and triggers: its source id is Segment's reference.
    stored = dataclasses.replace(parsed, source_event_id="seg-msg-0001")

    translation = KIND.build(Direction.IN, stored, [], config)

    assert translation.requests[0].body["walletTransaction"] == {"reference": "seg-msg-0001"}


def test_without_a_wallet_transaction_each_request_is_its_own_reward():
    config = config_make()
    payload = body()
    del payload["body"]["walletTransaction"]

    [first] = KIND.parse(Direction.IN, payload, config)
    [second] = KIND.parse(Direction.IN, copy.deepcopy(payload), config)

    assert first.source_event_id != second.source_event_id
    assert first.source_event_id.startswith("trigger:")
    assert len(first.source_event_id) == len("trigger:") + 32  # a UUID's hex
    assert first.context["wallet_transaction_reference"] is None
    references = {KIND.build(Direction.IN, event, [], config).requests[0].idempotency_key for event in (first, second)}
    assert len(references) == 2


def test_without_a_wallet_transaction_the_reference_is_derived_from_the_event_id():
    config = config_make()
    payload = body()
    del payload["body"]["walletTransaction"]
    [parsed] = KIND.parse(Direction.IN, payload, config)
    event = dataclasses.replace(parsed, source_event_id="trigger:0123")

    first = KIND.build(Direction.IN, event, [], config)
    again = KIND.build(Direction.IN, event, [], config)

    # Every send of the stored event (a retry, a replay) carries the same reference.
    reference = "eec-" + hashlib.sha256(b"trigger:0123").hexdigest()[:40]
    assert first == again
    assert first.requests[0].body["walletTransaction"] == {"reference": reference}
    assert first.requests[0].idempotency_key == reference


def test_an_empty_trigger_element_is_refused_and_the_others_are_sent():
    config = config_make()
    # Segment's "A1,,P1": whitespace removed, split on commas.
    [event] = KIND.parse(
        Direction.IN, body(triggers=[{"reference": "A1"}, {"reference": ""}, {"reference": "P1"}]), config
    )

    translation = KIND.build(Direction.IN, event, [], config)

    assert event.context["trigger_references"] == ["A1", "P1"]
    assert event.context["refused_triggers"] == [
        {"index": 1, "reason": "An empty trigger reference (an empty element of the audience's comma-separated list)."}
    ]
    [request] = translation.requests
    assert request.body["triggers"] == [{"reference": "A1"}, {"reference": "P1"}]
    assert request.notes == (
        "Not sent to AIR, 1 of the 3 trigger elements Segment sent: triggers[1]: An empty trigger reference "
        "(an empty element of the audience's comma-separated list)."
    )


def test_a_trailing_empty_element_is_refused_the_same_way():
    # Segment's "A1,".
    [event] = KIND.parse(Direction.IN, body(triggers=[{"reference": "A1"}, {"reference": ""}]), config_make())

    assert (event.context["trigger_references"], [item["index"] for item in event.context["refused_triggers"]]) == (
        ["A1"],
        [1],
    )


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
            {"type": "services/trigger", "body": {"identityValue": "C", "triggers": [{"reference": " "}, "B"]}},
            [
                (
                    "body.triggers[0].reference",
                    "No usable trigger: An empty trigger reference (an empty element of the audience's "
                    "comma-separated list).",
                ),
                ("body.triggers[1].reference", 'No usable trigger: Not a {"reference": "<non-empty text>"} object.'),
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


@pytest.mark.parametrize(
    ("wallet_url", "sent_to"),
    [
        ("https://wallet.example.test/", "https://wallet.example.test/services/trigger"),
        ("https://wallet.example.test/v2//", "https://wallet.example.test/v2/services/trigger"),
    ],
)
def test_the_trigger_goes_to_the_wallet_url_without_its_trailing_slashes(wallet_url, sent_to):
    config = config_make(air_wallet_url=wallet_url)
    [event] = KIND.parse(Direction.IN, body(), config)

    [request] = KIND.build(Direction.IN, event, [], config).requests

    assert request.url == sent_to


@pytest.mark.parametrize("wallet_transaction", [{}, {"reference": None}, {"reference": ""}])
def test_an_empty_or_null_wallet_transaction_reference_is_no_reference(wallet_transaction):
    # Segment's destination sends the field with an empty mapping as "" or null: the request is
    # then its own reward, as without a walletTransaction, not refused.
    [event] = KIND.parse(Direction.IN, body(walletTransaction=wallet_transaction), config_make())

    assert event.source_event_id.startswith("trigger:")
    assert len(event.source_event_id) == len("trigger:") + 32  # a UUID's hex, not a key of a reference
    assert event.context["wallet_transaction_reference"] is None
