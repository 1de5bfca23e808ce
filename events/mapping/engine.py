"""Applying mapping rules to an event context (the rule form is documented in the package)."""

from collections.abc import Sequence
from typing import Any

from jmespath.exceptions import JMESPathError

from events.mapping.expressions import (
    event_type_matches,
    expression_compile,
    is_truthy,
    template_compile,
)

MESSAGE_TYPES = ("track", "identify", "group")


class MappingError(Exception):
    """A rule could not be applied to this context. ``rule`` is the rule's name, ``field`` the path
    within the rule (``messages[0].for_each``), ``message`` what went wrong, in words for staff."""

    def __init__(self, *, rule: str, field: str, message: str):
        super().__init__(f"Mapping rule {rule!r}, {field}: {message}")
        self.rule = rule
        self.field = field
        self.message = message


def _search(expression: str, context: dict, *, rule: str, field: str) -> Any:
    try:
        return expression_compile(expression).search(context)
    except JMESPathError as error:
        raise MappingError(
            rule=rule, field=field, message=f"invalid expression {expression!r}: {error}"
        ) from None


def _template_render(template: str, context: dict, *, rule: str, field: str) -> str:
    try:
        parts = template_compile(template)
    except JMESPathError as error:
        raise MappingError(
            rule=rule, field=field, message=f"invalid template {template!r}: {error}"
        ) from None
    rendered = []
    for text, expression in parts:
        if expression is None:
            rendered.append(text)
            continue
        value = expression.search(context)
        if value is not None:
            rendered.append(value if isinstance(value, str) else _text(value))
    return "".join(rendered)


def _text(value: Any) -> str:
    if value is True or value is False:
        return "true" if value else "false"
    return str(value)


def value_render(spec: Any, context: dict, *, rule: str, field: str, drop_none: bool = False) -> Any:
    """Render one value spec; ``drop_none`` leaves out dict keys whose value renders to null."""
    if not isinstance(spec, dict):
        return spec
    if len(spec) == 1:
        if "path" in spec:
            path = spec["path"]
            if not isinstance(path, str):
                raise MappingError(rule=rule, field=f"{field}.path", message="must be a JMESPath expression")
            return _search(path, context, rule=rule, field=f"{field}.path")
        if "template" in spec:
            template = spec["template"]
            if not isinstance(template, str):
                raise MappingError(rule=rule, field=f"{field}.template", message="must be text")
            return _template_render(template, context, rule=rule, field=f"{field}.template")
    rendered = {}
    for key, value in spec.items():
        result = value_render(value, context, rule=rule, field=f"{field}.{key}", drop_none=drop_none)
        if result is None and drop_none:
            continue
        rendered[key] = result
    return rendered


def _section_render(spec: Any, context: dict, *, rule: str, field: str, drop_none: bool = False) -> dict:
    if spec is None:
        return {}
    if not isinstance(spec, dict):
        raise MappingError(rule=rule, field=field, message="must be an object of value specs")
    return value_render(spec, context, rule=rule, field=field, drop_none=drop_none)


def _context_render(spec: Any, context: dict, *, rule: str, field: str) -> dict:
    rendered = _section_render(spec, context, rule=rule, field=field)
    if isinstance(spec, dict) and isinstance(spec.get("traits"), dict):
        rendered["traits"] = _section_render(
            spec["traits"], context, rule=rule, field=f"{field}.traits", drop_none=True
        )
    return rendered


def _user_id(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else _text(value)


def _message_render(template: dict, context: dict, *, rule: str, field: str) -> dict:
    message_type = template.get("type")
    if message_type not in MESSAGE_TYPES:
        raise MappingError(
            rule=rule, field=f"{field}.type", message=f"must be one of {', '.join(MESSAGE_TYPES)}"
        )
    user_id = _user_id(value_render(template.get("user_id"), context, rule=rule, field=f"{field}.user_id"))
    message: dict[str, Any] = {"type": message_type}
    if message_type == "track":
        event = value_render(template.get("event"), context, rule=rule, field=f"{field}.event")
        if not isinstance(event, str) or not event.strip():
            raise MappingError(rule=rule, field=f"{field}.event", message="the track call has no event name")
        message["event"] = event
        message["userId"] = user_id
        message["properties"] = _section_render(
            template.get("properties"), context, rule=rule, field=f"{field}.properties"
        )
    else:
        message["userId"] = user_id
        if message_type == "group":
            group_id = value_render(template.get("group_id"), context, rule=rule, field=f"{field}.group_id")
            if group_id is None or group_id == "":
                raise MappingError(
                    rule=rule, field=f"{field}.group_id", message="the group call has no group id"
                )
            message["groupId"] = group_id if isinstance(group_id, str) else _text(group_id)
        message["traits"] = _section_render(
            template.get("traits"), context, rule=rule, field=f"{field}.traits", drop_none=True
        )
    if template.get("context") is not None:
        message["context"] = _context_render(
            template["context"], context, rule=rule, field=f"{field}.context"
        )
    return message


def _rule_messages(rule: dict, context: dict) -> list[dict]:
    name = str(rule.get("name", ""))
    templates = rule.get("messages")
    if not isinstance(templates, list):
        raise MappingError(rule=name, field="messages", message="must be a list of messages")
    messages: list[dict] = []
    for index, template in enumerate(templates):
        field = f"messages[{index}]"
        if not isinstance(template, dict):
            raise MappingError(rule=name, field=field, message="must be an object")
        for_each = template.get("for_each")
        if for_each is None:
            messages.append(_message_render(template, context, rule=name, field=field))
            continue
        if not isinstance(for_each, str):
            raise MappingError(rule=name, field=f"{field}.for_each", message="must be a JMESPath expression")
        items = _search(for_each, context, rule=name, field=f"{field}.for_each")
        if items is None:
            continue
        if not isinstance(items, list):
            raise MappingError(
                rule=name,
                field=f"{field}.for_each",
                message=f"{for_each!r} is a {type(items).__name__}, not a list",
            )
        for item in items:
            messages.append(_message_render(template, {**context, "item": item}, rule=name, field=field))
    return messages


def _applies(rule: dict, *, event_type: str, context: dict) -> bool:
    if rule.get("enabled", True) is False:
        return False
    pattern = rule.get("event_type")
    if not isinstance(pattern, str) or not event_type_matches(pattern, event_type):
        return False
    condition = rule.get("condition")
    if condition is None or condition == "":
        return True
    if not isinstance(condition, str):
        raise MappingError(
            rule=str(rule.get("name", "")), field="condition", message="must be a JMESPath expression"
        )
    return is_truthy(_search(condition, context, rule=str(rule.get("name", "")), field="condition"))


def messages_render(rules: Sequence[dict], *, event_type: str, context: dict) -> list[dict]:
    """Apply every enabled rule matching ``event_type`` whose condition holds, in ``order``.

    Raises MappingError when a rule cannot be applied to this context.
    """
    messages: list[dict] = []
    for rule in sorted(rules, key=lambda rule: rule.get("order") or 0):
        if _applies(rule, event_type=event_type, context=context):
            messages.extend(_rule_messages(rule, context))
    return messages
