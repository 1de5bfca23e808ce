"""Completing and packing Segment messages: ignored, failed, identify, ids and limits."""

import copy

from connectors.kinds.air_segment import KIND
from connectors.kinds.base import Direction, Translation
from tests.connectors.air_segment.support import LIBRARY, batch_of, config_make, out_translate, sample


def test_an_event_no_rule_maps_is_ignored_naming_its_type():
    payload = copy.deepcopy(sample("SERVICE.WALLET.CREATE"))
    payload["headers"]["eventName"] = "WALLET.CONSUMER.UPDATE"

    event, translation = out_translate(payload)

    assert translation == Translation(ignored="No mapping rule for WALLET.CONSUMER.UPDATE")
    assert event.context["user_id"] == "CUST-1001"


def test_an_account_update_that_is_not_a_cancelled_subscription_is_ignored():
    payload = copy.deepcopy(sample("WALLET.ACCOUNT.UPDATE"))
    for operation in payload["atomicOperations"]:
        operation["objectValue"]["account"]["status"] = "ACTIVE"

    _, translation = out_translate(payload)

    assert translation == Translation(ignored="No mapping rule for WALLET.ACCOUNT.UPDATE")


def test_a_wallet_without_an_identity_of_the_connectors_type_fails_and_sends_nothing():
    payload = sample("POSCONNECT.WALLET.SETTLE")

    event, translation = out_translate(payload, config_make(identity_type="LOYALTY_CARD"))

    assert translation == Translation(
        failed="The notification has no LOYALTY_CARD identity, so there is no Segment userId"
    )
    assert event.context["user_id"] is None
    assert event.identity == ""


def test_without_send_identify_only_the_rules_messages_are_sent():
    payload = sample("TIER.MEMBERSHIP.CREATE")

    _, translation = out_translate(payload, config_make(send_identify=False))

    batch = batch_of(translation)
    assert [(message["type"], message.get("event"), message["messageId"]) for message in batch] == [
        ("track", "EE Loyalty Tier Membership Created", f"air-{payload['headers']['eesEventId']}-1"),
    ]


def test_rules_that_already_identify_get_no_second_identify():
    config = config_make()
    [event] = KIND.parse(Direction.OUT, sample("TIER.MEMBERSHIP.CREATE"), config)
    messages = [{"type": "identify", "userId": "CUST-1001", "traits": {"tier_id": "12"}}]

    translation = KIND.build(Direction.OUT, event, messages, config)

    assert batch_of(translation) == [
        {
            "type": "identify",
            "userId": "CUST-1001",
            "traits": {"tier_id": "12"},
            "messageId": f"air-{event.source_event_id}-1",
            "context": {"library": LIBRARY},
            "timestamp": "2025-03-02T10:00:00.000Z",
        }
    ]


def test_a_message_over_segments_limit_fails_the_translation():
    config = config_make()
    [event] = KIND.parse(Direction.OUT, sample("TIER.MEMBERSHIP.CREATE"), config)
    huge = {"type": "track", "event": "Big", "userId": "CUST-1001", "properties": {"blob": "x" * 40_000}}

    translation = KIND.build(Direction.OUT, event, [huge], config)

    assert translation.requests == []
    assert translation.failed.startswith("Segment message 'Big' is ")
    assert translation.failed.endswith("bytes, over Segment's 32 KB limit")


def test_the_batch_goes_to_the_connectors_segment_region_keyed_by_the_air_event():
    payload = sample("POSCONNECT.WALLET.SETTLE")

    _, translation = out_translate(payload, config_make(segment_region="EU"))

    [request] = translation.requests
    assert (request.destination, request.method, request.url, request.idempotency_key) == (
        "segment",
        "POST",
        "https://events.eu1.segmentapis.com/v1/batch",
        f"air-{payload['headers']['eesEventId']}",
    )
    assert all(len(message["messageId"]) < 100 for message in request.body["batch"])
    assert "atomicOperations" not in str(request.body)
