"""rule_validate: every problem of a rule, with its path, before it is saved."""

from events.rules.mapping import rule_validate


def valid_rule(**changes):
    return {
        "name": "Purchase",
        "event_type": "POSCONNECT.WALLET.SETTLE",
        "condition": "transaction != null",
        "enabled": True,
        "order": 10,
        "messages": [
            {
                "type": "track",
                "event": {"template": "EE {event_name}"},
                "user_id": {"path": "user_id"},
                "for_each": "coupons_redeemed",
                "properties": {"a": {"path": "item.account_id"}, "nested": {"b": {"path": "x"}}, "c": 1},
                "context": {"traits": {"t": {"path": "tier_id"}}},
            },
            {"type": "group", "user_id": "u", "group_id": {"path": "wallet_id"}, "traits": {"n": "x"}},
        ],
        **changes,
    }


def test_a_valid_rule_has_no_problems():
    assert rule_validate(valid_rule()) == []


def test_the_shipped_kind_of_rule_with_a_glob_and_no_condition_is_valid():
    assert rule_validate(valid_rule(event_type="TIER.MEMBERSHIP.*", condition=None)) == []


def test_every_problem_is_reported_with_its_path():
    rule = valid_rule(
        name=" ",
        event_type="",
        condition="a.[",
        enabled="yes",
        order="first",
        colour="red",
        messages=[
            {"type": "page", "user_id": None, "shape": 1},
            {"type": "track", "user_id": {"path": "u"}, "traits": {"a": 1}},
            {"type": "identify", "user_id": "u", "properties": {"a": 1}, "for_each": "[", "traits": []},
            {"type": "group", "user_id": "u", "context": {"x": {"template": "{a.[}"}}},
            {"type": "track", "user_id": "u", "event": {"path": 4}, "properties": {"a": {"template": 3}}},
            "nope",
        ],
    )

    problems = rule_validate(rule)

    assert [path for path, _ in problems] == [
        "colour",
        "name",
        "event_type",
        "condition",
        "enabled",
        "order",
        "messages[0].shape",
        "messages[0].type",
        "messages[0].user_id",
        "messages[1].event",
        "messages[1].traits",
        "messages[2].properties",
        "messages[2].for_each",
        "messages[2].traits",
        "messages[3].group_id",
        "messages[3].context.x.template",
        "messages[4].event.path",
        "messages[4].properties.a.template",
        "messages[5]",
    ]
    messages = dict(problems)
    assert messages["messages[0].type"] == "Must be one of: track, identify, group."
    assert messages["messages[1].event"] == "An event name is required."
    assert messages["messages[1].traits"] == "A track call carries traits in context.traits."
    assert messages["messages[2].properties"] == "Only track calls have properties."
    assert messages["messages[3].group_id"] == "A group id is required."
    assert messages["condition"].startswith("Invalid JMESPath expression 'a.['")


def test_a_rule_without_messages_or_not_an_object_is_refused():
    assert rule_validate(valid_rule(messages=[])) == [("messages", "At least one message is required.")]
    assert rule_validate(["rule"]) == [("", "A rule must be an object.")]
