"""messages_render: rules (data) + context → Segment messages."""

import pytest

from events.rules.mapping import MappingError, messages_render

CONTEXT = {
    "user_id": "C-1",
    "name": "Home",
    "count": 3,
    "flag": False,
    "order": {"id": "O-1", "total": 12.5},
    "coupons": [{"account_id": "A1", "value": 2}, {"account_id": "A2", "value": 3}],
    "tier": None,
}


def rule(messages, **changes):
    return {
        "name": "R",
        "event_type": "E.ONE",
        "condition": None,
        "enabled": True,
        "order": 0,
        "messages": messages,
        **changes,
    }


def track(**changes):
    return {"type": "track", "event": "Thing Done", "user_id": {"path": "user_id"}, **changes}


def test_a_track_renders_paths_templates_nested_dicts_and_literals():
    message = track(
        event={"template": "Viewed {name} Page ({count})"},
        properties={
            "order_id": {"path": "order.id"},
            "nested": {"total": {"path": "order.total"}, "fixed": "x"},
            "literal_list": [1, {"path": "ignored"}],
            "missing": {"path": "nothing.here"},
            "flag": {"template": "{flag}-{tier}"},
        },
        context={"traits": {"tier": {"path": "tier"}, "count": {"path": "count"}}, "channel": "air"},
    )

    messages = messages_render([rule([message])], event_type="E.ONE", context=CONTEXT)

    assert messages == [
        {
            "type": "track",
            "event": "Viewed Home Page (3)",
            "userId": "C-1",
            "properties": {
                "order_id": "O-1",
                "nested": {"total": 12.5, "fixed": "x"},
                "literal_list": [1, {"path": "ignored"}],
                "missing": None,
                "flag": "false-",
            },
            "context": {"traits": {"count": 3}, "channel": "air"},
        }
    ]


def test_identify_and_group_carry_traits_without_nulls():
    messages_spec = [
        {
            "type": "identify",
            "user_id": {"path": "count"},
            "traits": {"n": {"path": "name"}, "t": {"path": "tier"}},
        },
        {"type": "group", "user_id": {"path": "user_id"}, "group_id": {"path": "count"}, "traits": {"x": 1}},
    ]

    messages = messages_render([rule(messages_spec)], event_type="E.ONE", context=CONTEXT)

    assert messages == [
        {"type": "identify", "userId": "3", "traits": {"n": "Home"}},
        {"type": "group", "userId": "C-1", "groupId": "3", "traits": {"x": 1}},
    ]


def test_for_each_emits_one_message_per_element_with_item_in_reach():
    message = track(
        for_each="coupons",
        properties={
            "account_id": {"path": "item.account_id"},
            "value": {"path": "item.value"},
            "u": {"path": "user_id"},
        },
    )

    messages = messages_render([rule([message])], event_type="E.ONE", context=CONTEXT)

    assert [m["properties"] for m in messages] == [
        {"account_id": "A1", "value": 2, "u": "C-1"},
        {"account_id": "A2", "value": 3, "u": "C-1"},
    ]


def test_for_each_over_a_missing_list_emits_nothing():
    assert messages_render([rule([track(for_each="absent")])], event_type="E.ONE", context=CONTEXT) == []


def test_rules_apply_in_order_when_enabled_matching_and_their_condition_holds():
    rules = [
        rule([track(event="Third")], order=30, event_type="E.*"),
        rule([track(event="First")], order=10),
        rule([track(event="Off")], order=5, enabled=False),
        rule([track(event="Other type")], event_type="E.TWO"),
        rule([track(event="False condition")], condition="flag"),
        rule([track(event="Zero is truthy")], order=20, condition="count == `3` && `0`"),
        rule([track(event="Empty list is false")], condition="order.missing || `[]`"),
    ]

    messages = messages_render(rules, event_type="E.ONE", context=CONTEXT)

    assert [m["event"] for m in messages] == ["First", "Zero is truthy", "Third"]


def test_no_matching_rule_renders_nothing():
    assert messages_render([rule([track()])], event_type="OTHER", context=CONTEXT) == []


def test_a_user_id_that_renders_to_nothing_is_none():
    [message] = messages_render(
        [rule([track(user_id={"path": "absent"})])], event_type="E.ONE", context=CONTEXT
    )

    assert message["userId"] is None


@pytest.mark.parametrize(
    ("broken", "field", "text"),
    [
        (track(for_each="order"), "messages[0].for_each", "'order' is a dict, not a list"),
        (track(for_each=7), "messages[0].for_each", "must be a JMESPath expression"),
        (track(event={"path": "absent"}), "messages[0].event", "the track call has no event name"),
        (track(event={"template": "  "}), "messages[0].event", "the track call has no event name"),
        ({**track(), "type": "page"}, "messages[0].type", "must be one of track, identify, group"),
        (
            {"type": "group", "user_id": "u", "group_id": {"path": "absent"}},
            "messages[0].group_id",
            "the group call has no group id",
        ),
        (track(properties=[1]), "messages[0].properties", "must be an object of value specs"),
        (
            track(properties={"a": {"path": 5}}),
            "messages[0].properties.a.path",
            "must be a JMESPath expression",
        ),
        (track(properties={"a": {"template": 5}}), "messages[0].properties.a.template", "must be text"),
        (
            track(properties={"a": {"path": "a.["}}),
            "messages[0].properties.a.path",
            "invalid expression 'a.['",
        ),
        (
            track(event={"template": "x {a.[} y"}),
            "messages[0].event.template",
            "invalid template 'x {a.[} y'",
        ),
        ("not a message", "messages[0]", "must be an object"),
    ],
)
def test_a_rule_that_cannot_be_applied_raises_naming_the_rule_and_field(broken, field, text):
    with pytest.raises(MappingError) as raised:
        messages_render([rule([broken])], event_type="E.ONE", context=CONTEXT)

    assert (raised.value.rule, raised.value.field) == ("R", field)
    assert raised.value.message.startswith(text)


def test_a_rule_without_a_message_list_raises():
    with pytest.raises(MappingError) as raised:
        messages_render([rule(None)], event_type="E.ONE", context=CONTEXT)

    assert (raised.value.field, raised.value.message) == ("messages", "must be a list of messages")


def test_an_invalid_condition_raises():
    for condition, message in ((5, "must be a JMESPath expression"), ("a.[", "invalid expression 'a.['")):
        with pytest.raises(MappingError) as raised:
            messages_render([rule([track()], condition=condition)], event_type="E.ONE", context=CONTEXT)

        assert raised.value.field == "condition"
        assert raised.value.message.startswith(message)
