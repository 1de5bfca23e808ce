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


def test_a_wallet_without_an_identity_of_the_connectors_type_is_ignored_with_the_reason():
    payload = sample("POSCONNECT.WALLET.SETTLE")

    event, translation = out_translate(payload, config_make(identity_type="LOYALTY_CARD"))

    assert translation == Translation(
        ignored="The notification has no LOYALTY_CARD identity, so there is no Segment userId"
    )
    assert event.context["user_id"] is None
    assert event.identity == ""


def test_without_send_identify_only_the_rules_messages_are_sent():
    payload = sample("TIER.MEMBERSHIP.CREATE")

    _, translation = out_translate(payload, config_make(send_identify=False))

    assert [(message["type"], message.get("event")) for message in batch_of(translation)] == [
        ("track", "EE Loyalty Tier Membership Created"),
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

    event, translation = out_translate(payload, config_make(segment_region="EU"))

    [request] = translation.requests
    assert (request.destination, request.method, request.url, request.idempotency_key) == (
        "segment",
        "POST",
        "https://events.eu1.segmentapis.com/v1/batch",
        f"air-{event.source_event_id}",
    )
    assert "atomicOperations" not in str(request.body)


def message_ids(payload: dict, **settings) -> dict[tuple[str, str | None], list[str]]:
    _, translation = out_translate(payload, config_make(**settings))
    ids: dict[tuple[str, str | None], list[str]] = {}
    for request in translation.requests:
        for message in request.body["batch"]:
            ids.setdefault((message["type"], message.get("event")), []).append(message["messageId"])
    return ids


def test_message_ids_are_the_same_for_a_redelivered_notification():
    payload = sample("POSCONNECT.WALLET.SETTLE")

    assert message_ids(copy.deepcopy(payload)) == message_ids(payload)


def test_message_ids_differ_between_connectors_forwarding_the_same_notification():
    # Segment de-duplicates messageIds across every source and workspace: two connectors (two
    # clients) forwarding one notification must not collide.
    payload = sample("POSCONNECT.WALLET.SETTLE")
    first, second = config_make(), config_make()
    first = first.__class__(connector_id="connector-a", settings=first.settings, secrets=first.secrets)
    second = second.__class__(connector_id="connector-b", settings=second.settings, secrets=second.secrets)

    [event] = KIND.parse(Direction.OUT, payload, first)
    messages = [{"type": "track", "event": "EE Loyalty Purchase", "userId": "CUST-1001"}]
    ids_a = [m["messageId"] for m in KIND.build(Direction.OUT, event, messages, first).requests[0].body["batch"]]
    ids_b = [m["messageId"] for m in KIND.build(Direction.OUT, event, messages, second).requests[0].body["batch"]]
    assert len(ids_a) == len(ids_b) == 2  # the identify and the track
    assert set(ids_a).isdisjoint(ids_b)


def test_message_ids_differ_between_notifications_of_one_air_call():
    # Same eesEventId, another account: another notification, so other messageIds.
    payload = sample("WALLET.ACCOUNT.CREATE.CAMPAIGN")
    sibling = copy.deepcopy(payload)
    sibling["atomicOperations"][0]["objectValue"]["account"]["accountId"] = "5000000999"

    first = {value for ids in message_ids(payload).values() for value in ids}
    assert first.isdisjoint(value for ids in message_ids(sibling).values() for value in ids)


def test_turning_the_identify_off_keeps_the_ids_of_the_tracks():
    payload = sample("POSCONNECT.WALLET.SETTLE")

    with_identify = message_ids(payload)
    without_identify = message_ids(payload, send_identify=False)

    assert ("identify", None) not in without_identify
    assert {key: ids for key, ids in with_identify.items() if key[0] == "track"} == without_identify


def test_removing_a_rule_keeps_the_ids_of_the_other_messages():
    config = config_make()
    [event] = KIND.parse(Direction.OUT, sample("POSCONNECT.WALLET.SETTLE"), config)
    coupon = {"type": "track", "event": "EE Loyalty Coupon Redeemed", "userId": "CUST-1001"}
    purchase = {"type": "track", "event": "EE Loyalty Purchase", "userId": "CUST-1001"}

    def ids(messages):
        [request] = KIND.build(Direction.OUT, event, messages, config).requests
        return {(m["event"] if m["type"] == "track" else "identify"): m["messageId"] for m in request.body["batch"]}

    both, purchase_only = ids([coupon, purchase]), ids([purchase])
    assert purchase_only["EE Loyalty Purchase"] == both["EE Loyalty Purchase"]
    assert purchase_only["identify"] == both["identify"]


def test_several_messages_of_one_event_name_each_get_their_own_id():
    payload = sample("POSCONNECT.WALLET.SETTLE")

    coupons = message_ids(payload)[("track", "EE Loyalty Coupon Redeemed")]

    assert len(coupons) == len(set(coupons)) == 2
    assert all(len(value) == 44 for value in coupons)  # "air-" and 40 hex digits, under Segment's 100
