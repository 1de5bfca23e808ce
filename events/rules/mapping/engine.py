"""Applying mapping rules to an event context (the rule form is documented in the package).

A rule is compiled once into plain functions and then applied to each context; nothing is parsed
again per event. Compiled rules are cached by their canonical JSON (an edited rule is a new rule),
and in front of that by the rule object itself, so the shipped defaults, passed as the same dicts
every time, cost no serialisation at all. Rules are values: replace a rule to change it, never
edit a dict in place after it has been rendered.
"""

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jmespath.exceptions import JMESPathError

from events.rules.mapping.expressions import (
    Searcher,
    event_type_matches,
    is_truthy,
    searcher_compile,
    template_compile,
)

MESSAGE_TYPES = ("track", "identify", "group")

Renderer = Callable[[dict], Any]


class MappingError(Exception):
    """A rule could not be applied to this context. ``rule`` is the rule's name, ``field`` the path
    within the rule (``messages[0].for_each``), ``message`` what went wrong, in words for staff."""

    def __init__(self, *, rule: str, field: str, message: str):
        super().__init__(f"Mapping rule {rule!r}, {field}: {message}")
        self.rule = rule
        self.field = field
        self.message = message


def _text(value: Any) -> str:
    if value is True or value is False:
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


class _Compiler:
    """Turns one rule's value specs into renderers, raising MappingError naming the field."""

    def __init__(self, rule: str):
        self.rule = rule

    def error(self, field: str, message: str) -> MappingError:
        return MappingError(rule=self.rule, field=field, message=message)

    def searcher(self, expression: Any, field: str) -> Searcher:
        if not isinstance(expression, str):
            raise self.error(field, "must be a JMESPath expression")
        try:
            return searcher_compile(expression)
        except JMESPathError as error:
            raise self.error(field, f"invalid expression {expression!r}: {error}") from None

    def template(self, template: Any, field: str) -> Renderer:
        if not isinstance(template, str):
            raise self.error(field, "must be text")
        try:
            parts = template_compile(template)
        except JMESPathError as error:
            raise self.error(field, f"invalid template {template!r}: {error}") from None

        def render(context: dict) -> str:
            rendered = []
            for text, search in parts:
                if search is None:
                    rendered.append(text)
                else:
                    value = search(context)
                    if value is not None:
                        rendered.append(_text(value))
            return "".join(rendered)

        return render

    def value(self, spec: Any, field: str, *, drop_none: bool = False) -> Renderer:
        if not isinstance(spec, dict):
            return lambda context: spec
        if len(spec) == 1 and "path" in spec:
            return self.searcher(spec["path"], f"{field}.path")
        if len(spec) == 1 and "template" in spec:
            return self.template(spec["template"], f"{field}.template")
        return self.section(spec, field, drop_none=drop_none)

    def section(self, spec: Any, field: str, *, drop_none: bool = False) -> Renderer:
        if not isinstance(spec, dict):
            raise self.error(field, "must be an object of value specs")
        items = tuple(
            (key, self.value(value, f"{field}.{key}", drop_none=drop_none)) for key, value in spec.items()
        )
        if drop_none:

            def render_without_nulls(context: dict) -> dict:
                rendered = {}
                for key, render in items:
                    value = render(context)
                    if value is not None:
                        rendered[key] = value
                return rendered

            return render_without_nulls
        return lambda context: {key: render(context) for key, render in items}

    def context(self, spec: Any, field: str) -> Renderer:
        """The message's context; its ``traits`` never carry nulls (see the package docstring)."""
        if not isinstance(spec, dict):
            raise self.error(field, "must be an object of value specs")
        items = tuple(
            (key, self.value(value, f"{field}.{key}", drop_none=key == "traits"))
            for key, value in spec.items()
        )
        return lambda context: {key: render(context) for key, render in items}

    def message(self, template: Any, field: str) -> Callable[[dict], dict]:
        if not isinstance(template, dict):
            raise self.error(field, "must be an object")
        message_type = template.get("type")
        if message_type not in MESSAGE_TYPES:
            raise self.error(f"{field}.type", f"must be one of {', '.join(MESSAGE_TYPES)}")
        user_id = self.value(template.get("user_id"), f"{field}.user_id")
        event = self.value(template.get("event"), f"{field}.event")
        group_id = self.value(template.get("group_id"), f"{field}.group_id")
        body_key = "properties" if message_type == "track" else "traits"
        body_spec = template.get(body_key)
        body = None
        if body_spec is not None:
            body = self.section(body_spec, f"{field}.{body_key}", drop_none=body_key == "traits")
        extra = None
        if template.get("context") is not None:
            extra = self.context(template["context"], f"{field}.context")
        rule, error = self.rule, self.error

        def render(context: dict) -> dict:
            value = user_id(context)
            message: dict[str, Any] = {"type": message_type}
            if message_type == "track":
                name = event(context)
                if not isinstance(name, str) or not name.strip():
                    raise error(f"{field}.event", "the track call has no event name")
                message["event"] = name
            message["userId"] = None if value is None or value == "" else _text(value)
            if message_type == "group":
                group = group_id(context)
                if group is None or group == "":
                    raise MappingError(
                        rule=rule, field=f"{field}.group_id", message="the group call has no group id"
                    )
                message["groupId"] = _text(group)
            message[body_key] = {} if body is None else body(context)
            if extra is not None:
                message["context"] = extra(context)
            return message

        return render

    def messages(self, templates: Any) -> Callable[[dict], list[dict]]:
        if not isinstance(templates, list):
            raise self.error("messages", "must be a list of messages")
        renderers = []
        for index, template in enumerate(templates):
            field = f"messages[{index}]"
            render = self.message(template, field)
            for_each = template.get("for_each")
            expression = None if for_each is None else self.searcher(for_each, f"{field}.for_each")
            renderers.append((render, expression, for_each, field))
        rule = self.rule

        def render_all(context: dict) -> list[dict]:
            rendered: list[dict] = []
            for render, expression, for_each, field in renderers:
                if expression is None:
                    rendered.append(render(context))
                    continue
                items = expression(context)
                if items is None:
                    continue
                if not isinstance(items, list):
                    raise MappingError(
                        rule=rule,
                        field=f"{field}.for_each",
                        message=f"{for_each!r} is a {type(items).__name__}, not a list",
                    )
                rendered.extend(render({**context, "item": item}) for item in items)
            return rendered

        return render_all


@dataclass(frozen=True)
class _CompiledRule:
    condition: Searcher | None
    messages: Callable[[dict], list[dict]]


@lru_cache(maxsize=1024)
def _rule_compile(canonical: str) -> _CompiledRule:
    rule = json.loads(canonical)
    compiler = _Compiler(str(rule.get("name", "")))
    condition = rule.get("condition")
    return _CompiledRule(
        condition=None if condition in (None, "") else compiler.searcher(condition, "condition"),
        messages=compiler.messages(rule.get("messages")),
    )


_BY_OBJECT: dict[int, tuple[dict, _CompiledRule]] = {}
_BY_OBJECT_MAX = 512


def _compiled(rule: dict) -> _CompiledRule:
    entry = _BY_OBJECT.get(id(rule))
    if entry is not None and entry[0] is rule:
        return entry[1]
    compiled = _rule_compile(json.dumps(rule, sort_keys=True))
    if len(_BY_OBJECT) >= _BY_OBJECT_MAX:
        _BY_OBJECT.clear()
    # The entry holds the rule, so its id cannot be reused by another dict while it is cached.
    _BY_OBJECT[id(rule)] = (rule, compiled)
    return compiled


def _matches(rule: dict, event_type: str) -> bool:
    pattern = rule.get("event_type")
    return (
        rule.get("enabled", True) is not False
        and isinstance(pattern, str)
        and event_type_matches(pattern, event_type)
    )


def messages_render(rules: Sequence[dict], *, event_type: str, context: dict) -> list[dict]:
    """Apply every enabled rule matching ``event_type`` whose condition holds, in ``order``.

    Raises MappingError when a rule cannot be applied to this context.
    """
    messages: list[dict] = []
    matching = [rule for rule in rules if _matches(rule, event_type)]
    for rule in sorted(matching, key=lambda rule: rule.get("order") or 0):
        compiled = _compiled(rule)
        if compiled.condition is None or is_truthy(compiled.condition(context)):
            messages.extend(compiled.messages(context))
    return messages
