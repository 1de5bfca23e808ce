"""The per-rule editor's forms: a rule's JSON as fields and back, and the service's problems put
next to the field they name (no database: the forms only translate)."""

import pytest

from events.admin.mapping_editor import RuleEditor, value_row, value_spec

RULE = {
    "name": "Tier moved",
    "event_type": "TIER.MEMBERSHIP.MOVE",
    "condition": None,
    "enabled": True,
    "order": 40,
    "messages": [
        {
            "type": "track",
            "event": "Tier Changed",
            "user_id": {"path": "user_id"},
            "for_each": None,
            "properties": {"tier": {"path": "tier_id"}, "voided": True, "label": {"template": "Tier {tier_id}"}},
            "context": {"traits": {"tier.name": {"path": "tier_name"}}, "ip": "203.0.113.7"},
        }
    ],
}


def fields_of(editor: RuleEditor) -> dict[str, str]:
    """What the unbound editor's widgets hold, as a browser would post it."""
    data = {}
    forms = [editor.rule_form, editor.messages.management_form]
    for message in editor.messages.forms:
        forms += [message, message.rows.management_form, *message.rows.forms]
    for form in forms:
        for field in form:
            value = field.value()
            if value is True:
                data[field.html_name] = "on"
            elif value is not None and value is not False:
                data[field.html_name] = str(value)
    return data


@pytest.mark.parametrize(
    ("spec", "row"),
    [
        ({"path": "a.b"}, ("path", "a.b")),
        ({"template": "Tier {t}"}, ("template", "Tier {t}")),
        ("EE Loyalty Purchase", ("text", "EE Loyalty Purchase")),
        (True, ("json", "true")),
        (None, ("json", "null")),
        ({"a": {"path": "x"}}, ("json", '{"a": {"path": "x"}}')),
        ({"path": 5}, ("json", '{"path": 5}')),
    ],
)
def test_a_value_spec_is_a_row_and_the_row_the_same_spec(spec, row):
    assert value_row(spec) == row
    assert value_spec(*row) == spec


def test_a_row_whose_json_does_not_read_says_what_to_write():
    with pytest.raises(ValueError, match=r"^Not a JSON value \(Expecting value\): write true, false, null"):
        value_spec("json", "yes")


def test_a_rule_through_its_form_unchanged_is_the_same_rule_key_for_key():
    editor = RuleEditor(fields_of(RuleEditor(rule=RULE)), rule=RULE)

    rebuilt = editor.rule()

    assert rebuilt == RULE
    assert list(rebuilt) == list(RULE)
    assert list(rebuilt["messages"][0]["context"]) == ["traits", "ip"]


def test_rows_are_properties_context_traits_and_other_context_in_that_order():
    rows = RuleEditor(rule=RULE).messages.forms[0].rows

    assert [(f.initial["section"], f.initial["name"], f.initial["kind"]) for f in rows] == [
        ("properties", "tier", "path"),
        ("properties", "voided", "json"),
        ("properties", "label", "template"),
        ("context.traits", "tier.name", "path"),
        ("context", "ip", "text"),
    ]


def test_a_blank_field_the_rule_did_not_have_is_not_added():
    rule = {"name": "n", "event_type": "E", "messages": [{"type": "identify", "user_id": {"path": "u"}}]}

    rebuilt = RuleEditor(fields_of(RuleEditor(rule=rule)), rule=rule).rule()

    assert rebuilt == rule


def test_two_rows_of_the_same_name_in_a_section_are_refused_on_the_second():
    data = fields_of(RuleEditor(rule=RULE))
    data["msg-0-rows-1-name"] = "tier"

    editor = RuleEditor(data, rule=RULE)

    assert editor.rule() is None
    assert editor.messages.forms[0].rows.forms[1].errors == {"name": ["Appears twice among the property rows."]}


def test_each_problem_is_placed_on_the_field_or_row_its_path_names():
    editor = RuleEditor(fields_of(RuleEditor(rule=RULE)), rule=RULE)
    editor.rule()

    left = editor.problems_place(
        [
            ("condition", "Invalid JMESPath expression"),
            ("messages[0].user_id.path", "Must be a JMESPath expression."),
            ("messages[0].properties.label.template", "Invalid placeholder"),
            # A trait's name holds a dot: the row is found by its whole name.
            ("messages[0].context.traits.tier.name.path", "Invalid JMESPath expression"),
            ("messages[0].context.ip", "Bad"),
            ("messages[0].context", "Must be an object of value specs."),
            ("messages", "At least one message is required."),
            ("messages[3].type", "No such message"),
        ]
    )

    message = editor.messages.forms[0]
    rows = {row.cleaned_data["name"]: row.errors for row in message.rows.forms}
    assert editor.rule_form.errors == {"condition": ["Invalid JMESPath expression"]}
    assert message.errors == {
        "user_id": ["Must be a JMESPath expression."],
        "__all__": ["context: Must be an object of value specs."],
    }
    assert rows == {
        "tier": {},
        "voided": {},
        "label": {"value": ["Invalid placeholder"]},
        "tier.name": {"value": ["Invalid JMESPath expression"]},
        "ip": {"value": ["Bad"]},
    }
    assert editor.errors == ["At least one message is required."]
    assert left == [("messages[3].type", "No such message")]


def test_a_removed_message_shifts_the_paths_of_those_after_it():
    rule = {**RULE, "messages": [{"type": "identify", "user_id": {"path": "u"}}, *RULE["messages"]]}
    data = {**fields_of(RuleEditor(rule=rule)), "msg-0-DELETE": "on"}
    editor = RuleEditor(data, rule=rule)

    assert editor.rule()["messages"] == RULE["messages"]
    editor.problems_place([("messages[0].event", "An event name is required.")])

    # The track call is the first message now: the problem is its, not the removed identify's.
    assert editor.messages.forms[1].errors == {"event": ["An event name is required."]}
    assert editor.messages.forms[0].errors == {}


def test_read_only_fields_are_disabled():
    editor = RuleEditor(rule=RULE, read_only=True)

    assert all(field.disabled for field in editor.rule_form.fields.values())
    assert all(field.disabled for row in editor.messages.forms[0].rows.forms for field in row.fields.values())
