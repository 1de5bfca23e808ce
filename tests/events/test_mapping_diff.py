"""Comparing the Segment messages of the current and the edited rules (pure: no database)."""

from events.rules.mapping_diff import FieldChange, MessageChange, messages_diff, segment_messages

IDENTIFY = {"type": "identify", "userId": "u1", "traits": {"tier": "Gold"}}
COUPON = {"type": "track", "event": "Coupon Redeemed", "userId": "u1", "properties": {"id": "c1"}}
PURCHASE = {
    "type": "track",
    "event": "EE Loyalty Purchase",
    "userId": "u1",
    "properties": {"total": 20.0, "lines": [1, 2]},
    "context": {"traits": {"tier": "Gold"}},
}


def test_a_renamed_event_is_the_same_message_changed_with_its_event_field_named():
    renamed = {**PURCHASE, "event": "Order Completed"}

    diff = messages_diff(before=[IDENTIFY, PURCHASE], after=[IDENTIFY, renamed])

    assert [m.change for m in diff.messages] == ["same", "changed"]
    assert diff.messages[1].fields == (FieldChange("event", "changed", "EE Loyalty Purchase", "Order Completed"),)
    assert diff.messages[1].label == "track “Order Completed”"
    assert diff.summary == "1 changed"


def test_fields_added_removed_and_changed_are_named_by_their_dotted_path():
    edited = {
        **PURCHASE,
        "properties": {"total": 21.5, "lines": [1, 2], "store": "s1"},
        "context": {"traits": {}},
    }

    [change] = messages_diff(before=[PURCHASE], after=[edited]).messages

    # context.traits lost its only trait: the empty object is itself the new value of that path.
    assert change.fields == (
        FieldChange("properties.total", "changed", 20.0, 21.5),
        FieldChange("properties.store", "added", after="s1"),
        FieldChange("context.traits", "added", after={}),
        FieldChange("context.traits.tier", "removed", before="Gold"),
    )
    assert [(f.has_before, f.has_after) for f in change.fields] == [
        (True, True),
        (False, True),
        (False, True),
        (True, False),
    ]


def test_a_list_is_one_value_so_a_reordered_list_is_one_changed_field():
    reordered = {**PURCHASE, "properties": {"total": 20.0, "lines": [2, 1]}}

    [change] = messages_diff(before=[PURCHASE], after=[reordered]).messages

    assert change.fields == (FieldChange("properties.lines", "changed", [1, 2], [2, 1]),)


def test_a_message_no_rule_emits_any_more_is_removed_and_a_new_one_added():
    diff = messages_diff(before=[IDENTIFY, COUPON, PURCHASE], after=[COUPON, PURCHASE, IDENTIFY])

    # The two tracks still pair with each other; the identify moved from first to last.
    assert [(m.change, m.label) for m in diff.messages] == [
        ("removed", "identify"),
        ("same", "track “Coupon Redeemed”"),
        ("same", "track “EE Loyalty Purchase”"),
        ("added", "identify"),
    ]
    assert (diff.count("added"), diff.count("removed"), diff.count("same")) == (1, 1, 2)
    assert diff.summary == "1 added, 1 removed"


def test_one_more_message_of_a_for_each_is_added_after_the_ones_that_pair():
    second = {**COUPON, "properties": {"id": "c2"}}

    diff = messages_diff(before=[COUPON], after=[COUPON, second])

    assert diff.messages == (
        MessageChange("same", COUPON, COUPON),
        MessageChange(
            "added",
            None,
            second,
            (
                FieldChange("type", "added", after="track"),
                FieldChange("event", "added", after="Coupon Redeemed"),
                FieldChange("userId", "added", after="u1"),
                FieldChange("properties.id", "added", after="c2"),
            ),
        ),
    )


def test_a_removed_message_lists_every_field_it_no_longer_sends():
    [removed] = messages_diff(before=[IDENTIFY], after=[]).messages

    assert removed.change == "removed"
    assert removed.fields == (
        FieldChange("type", "removed", before="identify"),
        FieldChange("userId", "removed", before="u1"),
        FieldChange("traits.tier", "removed", before="Gold"),
    )
    # Shown as Segment receives them: a string in quotes, so "3" and 3 differ on the page.
    assert [f.before_json for f in removed.fields] == ['"identify"', '"u1"', '"Gold"']


def test_identical_messages_make_no_change():
    diff = messages_diff(before=[IDENTIFY, PURCHASE], after=[IDENTIFY, PURCHASE])

    assert not diff.changed
    assert diff.summary == "No message changes."


def test_the_messages_of_batch_bodies_and_single_calls_are_listed_in_order():
    bodies = [{"batch": [IDENTIFY, COUPON]}, PURCHASE]

    assert segment_messages(bodies) == [IDENTIFY, COUPON, PURCHASE]
