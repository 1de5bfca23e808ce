"""Checking a mapping rule before it is saved, so that staff see every problem at once."""

from typing import Any

from jmespath.exceptions import JMESPathError

from events.rules.mapping.engine import MESSAGE_TYPES
from events.rules.mapping.expressions import expression_compile, template_compile

_RULE_KEYS = frozenset({"name", "event_type", "condition", "enabled", "order", "messages", "description"})
_MESSAGE_KEYS = frozenset(
    {"type", "event", "user_id", "group_id", "for_each", "properties", "traits", "context"}
)

Problems = list[tuple[str, str]]


def _expression_check(expression: Any, field: str, problems: Problems) -> None:
    if not isinstance(expression, str) or not expression.strip():
        problems.append((field, "Must be a JMESPath expression."))
        return
    try:
        expression_compile(expression)
    except JMESPathError as error:
        problems.append((field, f"Invalid JMESPath expression {expression!r}: {error}"))


def _value_check(spec: Any, field: str, problems: Problems) -> None:
    if not isinstance(spec, dict):
        return
    if len(spec) == 1 and "path" in spec:
        _expression_check(spec["path"], f"{field}.path", problems)
        return
    if len(spec) == 1 and "template" in spec:
        template = spec["template"]
        if not isinstance(template, str):
            problems.append((f"{field}.template", "Must be text."))
            return
        try:
            template_compile(template)
        except JMESPathError as error:
            problems.append((f"{field}.template", f"Invalid placeholder in {template!r}: {error}"))
        return
    for key, value in spec.items():
        _value_check(value, f"{field}.{key}", problems)


def _required_value_check(spec: Any, field: str, label: str, problems: Problems) -> None:
    if spec is None or (isinstance(spec, str) and not spec.strip()):
        problems.append((field, f"{label} is required."))
        return
    _value_check(spec, field, problems)


def _section_check(spec: Any, field: str, problems: Problems) -> None:
    if spec is None:
        return
    if not isinstance(spec, dict):
        problems.append((field, "Must be an object whose values are value specs."))
        return
    _value_check(spec, field, problems)


def _message_check(message: Any, field: str, problems: Problems) -> None:
    if not isinstance(message, dict):
        problems.append((field, "Must be an object."))
        return
    for key in sorted(set(message) - _MESSAGE_KEYS):
        problems.append((f"{field}.{key}", "Unknown message field."))
    message_type = message.get("type")
    if message_type not in MESSAGE_TYPES:
        problems.append((f"{field}.type", f"Must be one of: {', '.join(MESSAGE_TYPES)}."))
    _required_value_check(message.get("user_id"), f"{field}.user_id", "A user id", problems)
    if message_type == "track":
        _required_value_check(message.get("event"), f"{field}.event", "An event name", problems)
        if message.get("traits") is not None:
            problems.append((f"{field}.traits", "A track call carries traits in context.traits."))
    elif message.get("properties") is not None:
        problems.append((f"{field}.properties", "Only track calls have properties."))
    if message_type == "group":
        _required_value_check(message.get("group_id"), f"{field}.group_id", "A group id", problems)
    if message.get("for_each") is not None:
        _expression_check(message["for_each"], f"{field}.for_each", problems)
    for section in ("properties", "traits", "context"):
        _section_check(message.get(section), f"{field}.{section}", problems)


def rule_validate(rule: dict) -> list[tuple[str, str]]:
    """Every problem with a rule, as (field path within the rule, message); empty when it is valid."""
    if not isinstance(rule, dict):
        return [("", "A rule must be an object.")]
    problems: Problems = []
    for key in sorted(set(rule) - _RULE_KEYS):
        problems.append((key, "Unknown rule field."))
    for key, label in (("name", "A name"), ("event_type", "An event type")):
        value = rule.get(key)
        if not isinstance(value, str) or not value.strip():
            problems.append((key, f"{label} is required."))
    if rule.get("condition") not in (None, ""):
        _expression_check(rule["condition"], "condition", problems)
    if not isinstance(rule.get("enabled", True), bool):
        problems.append(("enabled", "Must be true or false."))
    order = rule.get("order", 0)
    if not isinstance(order, int) or isinstance(order, bool):
        problems.append(("order", "Must be a whole number."))
    messages = rule.get("messages")
    if not isinstance(messages, list) or not messages:
        problems.append(("messages", "At least one message is required."))
        return problems
    for index, message in enumerate(messages):
        _message_check(message, f"messages[{index}]", problems)
    return problems
