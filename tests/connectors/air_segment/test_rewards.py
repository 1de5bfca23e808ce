"""The AIR kind's reward declaration: which of its events are the reward ledger's, and the plain
values it reads from a trigger, from AIR's answer and from AIR's SERVICE.TRIGGER notification."""

import copy
import hashlib

from connectors.kinds.air_segment import KIND
from connectors.kinds.base import Direction, IncomingEvent, RewardAward, RewardRequest
from tests.connectors.air_segment.support import config_make

REWARDS = KIND.rewards


def trigger(**changes) -> IncomingEvent:
    payload = copy.deepcopy(KIND.samples[Direction.IN]["services/trigger"])
    payload["body"].update(changes)
    [event] = KIND.parse(Direction.IN, payload, config_make())
    return event


def stored(context, *, identity="", event_type="services/trigger") -> IncomingEvent:
    """An event as the pipeline reads it back from the log: its context, no raw body."""
    return IncomingEvent(
        event_type=event_type, source_event_id="s-1", identity=identity, occurred_at=None, context=context
    )


def test_triggers_sent_to_air_request_rewards_and_service_trigger_notifications_confirm_them():
    assert (REWARDS.request_type, REWARDS.destination, REWARDS.notification_type) == (
        "services/trigger",
        "air",
        "SERVICE.TRIGGER",
    )
    assert (REWARDS.refuse_unknown_setting, REWARDS.window_setting) == (
        "refuse_unknown_triggers",
        "trigger_dedupe_window_seconds",
    )
    assert {REWARDS.refuse_unknown_setting, REWARDS.window_setting} <= {field.key for field in KIND.fields}


def test_the_sample_trigger_requests_its_identitys_reward_under_segments_reference():
    request = REWARDS.request_read(trigger())

    # The window key is the SHA-256 of the canonical JSON [identity, sorted set of triggers].
    window_key = hashlib.sha256(b'["CUST-1001",["WELCOME1"]]').hexdigest()
    assert request == RewardRequest(
        identity="CUST-1001",
        triggers=("WELCOME1",),
        trigger_paths=("body.triggers[0].reference",),
        reference="seg-msg-0001",
        window_key=window_key,
    )


def test_the_window_key_counts_the_triggers_as_a_set():
    once = REWARDS.request_read(trigger(triggers=[{"reference": "P1"}, {"reference": "A1"}]))
    repeated = REWARDS.request_read(trigger(triggers=[{"reference": "A1"}, {"reference": "P1"}, {"reference": "A1"}]))

    assert repeated.triggers == ("A1", "P1", "A1")
    assert once.window_key == repeated.window_key


def test_a_trigger_without_a_wallet_transaction_has_no_reference():
    payload = copy.deepcopy(KIND.samples[Direction.IN]["services/trigger"])
    del payload["body"]["walletTransaction"]
    [event] = KIND.parse(Direction.IN, payload, config_make())

    assert REWARDS.request_read(event).reference == ""


def test_each_trigger_path_names_the_element_segment_sent_past_refused_ones():
    # "A1,,P1,,X": the empty elements 1 and 3 are refused, so P1 was element 2 and X element 4.
    event = trigger(triggers=[{"reference": r} for r in ("A1", "", "P1", "", "X")])

    request = REWARDS.request_read(event)

    assert request.triggers == ("A1", "P1", "X")
    assert request.trigger_paths == (
        "body.triggers[0].reference",
        "body.triggers[2].reference",
        "body.triggers[4].reference",
    )


def test_a_stored_trigger_is_read_with_air_style_trigger_objects_and_the_events_identity():
    request = REWARDS.request_read(stored({"trigger_references": [{"reference": "A0001"}]}, identity="CUST-1"))

    assert (request.identity, request.triggers, request.reference) == ("CUST-1", ("A0001",), "")


def test_airs_answer_gives_its_wallet_transaction_points_and_coupons():
    coupons = [{"account_id": "4103598394", "campaign_id": "100641681"}]

    award = REWARDS.answer_read({"wallet_transaction_id": 442092686, "points": 400, "coupons": coupons})

    assert award == RewardAward(transaction_id="442092686", points=400, coupons=tuple(coupons))


def test_airs_answer_that_it_already_held_the_reference_awards_nothing_more():
    award = REWARDS.answer_read({"already_processed": True, "reference": "r-1"})

    assert award == RewardAward(already_processed=True)


def test_airs_answer_with_nothing_to_keep_reads_as_nothing_awarded():
    assert REWARDS.answer_read({}) == RewardAward()
    assert REWARDS.answer_read({"wallet_transaction_id": "9", "points": None}) == RewardAward(transaction_id="9")


def test_the_sample_service_trigger_notification_confirms_its_reference_points_and_coupons():
    [event] = KIND.parse(Direction.OUT, KIND.samples[Direction.OUT]["SERVICE.TRIGGER"], config_make())

    award = REWARDS.notification_read(event)

    # The sample's request body carried Segment's reference; AIR credited 250 points and issued one coupon.
    assert (award.reference, award.points) == ("seg-msg-0001", 250)
    assert [coupon["account_id"] for coupon in award.coupons] == ["5000000104"]
    assert (award.transaction_id, award.already_processed) == ("", False)


def test_a_notification_names_its_reference_in_the_transaction_when_not_on_its_own():
    award = REWARDS.notification_read(stored({"transaction": {"reference": "ref-7"}}, event_type="SERVICE.TRIGGER"))

    assert award.reference == "ref-7"


def test_a_notification_gives_points_credited_else_the_behavioural_actions_points_object():
    credited = stored({"points_earned": 400, "awarded_points": {"points": 9}}, event_type="SERVICE.TRIGGER")
    action_only = stored({"awarded_points": {"points": 400, "accountId": "4"}}, event_type="SERVICE.TRIGGER")

    assert (REWARDS.notification_read(credited).points, REWARDS.notification_read(action_only).points) == (400, 400)


def test_a_notification_without_a_reference_confirms_nothing_we_sent():
    for context in ({}, {"wallet_transaction_reference": ""}, {"transaction": None}):
        assert REWARDS.notification_read(stored(context, event_type="SERVICE.TRIGGER")) == RewardAward()
