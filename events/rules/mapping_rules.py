"""Editing a connector's mapping rules: validate, save as a new version, copy the kind's defaults,
reset to them, and restore a version (previews: ``events.rules.mapping_preview``).

Only CDP-bound directions have rules: a kind takes part when its ``default_rules`` has an entry for
the direction. Every change appends a :class:`MappingRuleSetVersion`, so the history says who
changed what and when, and any version can be restored in one step (which is itself a version).
"""

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from django.db import transaction

from connectors.kinds.base import ConnectorConfig, Direction, IncomingEvent, Kind, PayloadInvalid
from connectors.kinds.registry import kind_get, kinds
from connectors.kinds.segment import MAX_MESSAGE_BYTES
from connectors.models import Connector
from connectors.services import connector_config
from events.rule_models import MappingRuleSet, MappingRuleSetVersion
from events.rules.mapping import MappingError, messages_render, rule_validate

if TYPE_CHECKING:  # for annotations only: who acted is whatever user the request carries
    from django.contrib.auth.models import AnonymousUser, User

# What a kind adds to a rendered message before sending it (messageId, timestamp, context.library).
SEND_ALLOWANCE_BYTES = 512


@dataclass(frozen=True)
class RuleProblem:
    """One problem with a rule set. ``index`` is the rule's position (from 1 as staff count), or
    ``None`` for the set as a whole; ``field`` is the path within the rule."""

    index: int | None
    rule: str
    field: str
    message: str

    def __str__(self) -> str:
        if self.index is None:
            return f"{self.field}: {self.message}" if self.field else self.message
        name = f" “{self.rule}”" if self.rule else ""
        return f"Rule {self.index}{name}, {self.field or 'rule'}: {self.message}"


class MappingRulesInvalid(Exception):
    def __init__(self, problems: list[RuleProblem]):
        super().__init__("; ".join(str(problem) for problem in problems))
        self.problems = problems


class MappingRulesConflict(Exception):
    """Someone saved the rules since the editor was opened; saving would lose their change."""


def mapping_kinds() -> list[str]:
    """Keys of the kinds whose messages are mapped by rules (those shipping default rules)."""
    return [key for key, kind in kinds().items() if kind.default_rules]


def mapping_kind_get(*, connector: Connector, direction: str) -> Kind:
    kind = kind_get(connector.kind)
    if Direction(direction) not in kind.default_rules:
        raise MappingRulesInvalid(
            [
                RuleProblem(
                    None, "", "connector", f"{kind.label} has no mapping rules for direction {direction!r}."
                )
            ]
        )
    return kind


def mapping_rules_defaults(*, connector: Connector, direction: str) -> list[dict[str, Any]]:
    return list(mapping_kind_get(connector=connector, direction=direction).default_rules[Direction(direction)])


def mapping_rule_set_get(*, connector: Connector, direction: str) -> MappingRuleSet:
    """The connector's rule set, created empty (the defaults apply) the first time it is opened."""
    mapping_kind_get(connector=connector, direction=direction)
    rule_set, _ = MappingRuleSet.objects.get_or_create(connector=connector, direction=direction)
    return rule_set


def mapping_rules_applying(*, rule_set: MappingRuleSet) -> list[dict[str, Any]]:
    """The rules in force, disabled ones included: the connector's own, or its kind's defaults."""
    if rule_set.rules is not None:
        own: list[dict[str, Any]] = rule_set.rules  # saved only after mapping_rules_validate passed
        return own
    return mapping_rules_defaults(connector=rule_set.connector, direction=rule_set.direction)


_JSON_KEY = re.compile(r'"((?:[^"\\]|\\.)*)"\s*:')
_JSON_NAME = re.compile(r'"name"\s*:\s*"((?:[^"\\]|\\.)*)"')


def _json_problem(text: str, error: json.JSONDecodeError) -> RuleProblem:
    """Where broken JSON breaks, as staff look for it: in which rule (by position and name) and
    after which key, the line and column only as a last pointer."""
    where = f"(line {error.lineno}, column {error.colno})"
    start = text.find("[")
    if start < 0 or start >= error.pos:
        return RuleProblem(None, "", "rules", f"Not valid JSON: {error.msg} {where}.")
    # Read the list's rules one by one: the first that does not read is the broken one.
    decoder, position, index, between = json.JSONDecoder(), start + 1, 1, False
    while True:
        position = len(text) - len(text[position:].lstrip())
        if text.startswith("]", position) and error.pos > position:
            return RuleProblem(None, "", "rules", f"Not valid JSON: {error.msg} after the list's end {where}.")
        try:
            _, end = decoder.raw_decode(text, position)
        except json.JSONDecodeError:
            break
        following = len(text) - len(text[end:].lstrip())
        if text.startswith("]", following) and error.pos > following:
            return RuleProblem(None, "", "rules", f"Not valid JSON: {error.msg} after the list's end {where}.")
        if end > error.pos or not text.startswith(",", following):
            between = end <= error.pos  # the rule reads whole; what follows it does not
            break
        position, index = following + 1, index + 1
    broken = text[position : error.pos]
    name = _JSON_NAME.search(broken)
    keys = _JSON_KEY.findall(broken)
    after = " after the rule" if between else f" after “{keys[-1]}”" if keys else ""
    return RuleProblem(index, name.group(1) if name else "", "JSON", f"{error.msg}{after} {where}.")


def mapping_rules_parse(*, text: str) -> list[Any]:
    """The rule set typed into the editor; raises MappingRulesInvalid saying in which rule and after
    which field the JSON breaks."""
    try:
        rules = json.loads(text)
    except json.JSONDecodeError as error:
        raise MappingRulesInvalid([_json_problem(text, error)]) from None
    if not isinstance(rules, list):
        raise MappingRulesInvalid(
            [RuleProblem(None, "", "rules", "Must be a list of rules: [ {...}, {...} ].")]
        )
    return rules


def _samples(*, kind: Kind, direction: str, config: ConnectorConfig) -> list[tuple[str, IncomingEvent]]:
    parsed: list[tuple[str, IncomingEvent]] = []
    for name, sample in kind.samples.get(Direction(direction), {}).items():
        try:
            events = kind.parse(Direction(direction), sample, config)
        except PayloadInvalid:
            continue  # a sample this connector's settings cannot read says nothing about the rules
        parsed.extend((name, incoming) for incoming in events)
    return parsed


def _size(message: dict[str, Any]) -> int:
    return len(json.dumps(message, separators=(",", ":")).encode()) + SEND_ALLOWANCE_BYTES


def _sample_problems(
    *, index: int, rule: dict[str, Any], samples: list[tuple[str, IncomingEvent]]
) -> list[RuleProblem]:
    name = str(rule.get("name", ""))
    problems: list[RuleProblem] = []
    for position, template in enumerate(rule["messages"]):
        single = {**rule, "enabled": True, "messages": [template]}
        for sample_name, incoming in samples:
            try:
                messages = messages_render([single], event_type=incoming.event_type, context=incoming.context)
            except MappingError as error:
                # The rule was rendered with this one message: put its own position back.
                where = error.field.replace("messages[0]", f"messages[{position}]", 1)
                problems.append(
                    RuleProblem(index, name, where, f"On the sample {sample_name}: {error.message}")
                )
                break
            sizes = [_size(message) for message in messages]
            if any(size > MAX_MESSAGE_BYTES for size in sizes):
                problems.append(
                    RuleProblem(
                        index,
                        name,
                        f"messages[{position}]",
                        f"On the sample {sample_name} a message is {max(sizes)} bytes once sent, over "
                        f"Segment's limit of {MAX_MESSAGE_BYTES} bytes (32 KB).",
                    )
                )
                break
    return problems


def mapping_rules_validate(*, connector: Connector, direction: str, rules: list[Any]) -> list[RuleProblem]:
    """Every problem with a rule set: each rule's form, then its output on the kind's samples."""
    kind = mapping_kind_get(connector=connector, direction=direction)
    if not isinstance(rules, list):
        return [RuleProblem(None, "", "rules", "Must be a list of rules.")]
    problems: list[RuleProblem] = []
    for index, rule in enumerate(rules, start=1):
        name = str(rule.get("name", "")) if isinstance(rule, dict) else ""
        problems.extend(RuleProblem(index, name, where, message) for where, message in rule_validate(rule))
    if problems:
        return problems
    samples = _samples(kind=kind, direction=direction, config=connector_config(connector))
    for index, rule in enumerate(rules, start=1):
        if rule.get("enabled", True):
            problems.extend(_sample_problems(index=index, rule=rule, samples=samples))
    return problems


def _summary(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> str:
    old = {rule.get("name"): rule for rule in before}
    new = {rule.get("name"): rule for rule in after}
    parts = [
        (label, [name for name in names if name is not None])
        for label, names in (
            ("Added", [name for name in new if name not in old]),
            ("Changed", [name for name in new if name in old and new[name] != old[name]]),
            ("Removed", [name for name in old if name not in new]),
        )
    ]
    text = " ".join(f"{label}: {', '.join(map(str, names))}." for label, names in parts if names)
    if not text and [r.get("name") for r in before] != [r.get("name") for r in after]:
        return "Rules reordered."
    return text or "No rule changed."


@transaction.atomic
def _version_append(
    *,
    connector: Connector,
    direction: str,
    rules: list[dict[str, Any]] | None,
    action: str,
    user: "User | AnonymousUser | None",
    comment: str,
    expected_version: int | None = None,
    summary: str | None = None,
) -> MappingRuleSetVersion:
    rule_set = mapping_rule_set_get(connector=connector, direction=direction)
    rule_set = MappingRuleSet.objects.select_for_update().get(pk=rule_set.pk)
    if expected_version is not None and rule_set.version != expected_version:
        latest = rule_set.versions.order_by("-number").first()
        who = latest.created_by.get_username() if latest and latest.created_by else "someone"
        raise MappingRulesConflict(
            f"Version {rule_set.version} was saved by {who} since you opened these rules. "
            "Reload the page to see it, then make your change again."
        )
    if summary is None:
        after = (
            rules if rules is not None else mapping_rules_defaults(connector=connector, direction=direction)
        )
        summary = _summary(mapping_rules_applying(rule_set=rule_set), after)
    rule_set.rules = rules
    rule_set.version += 1
    rule_set.updated_by = cast("User | None", user)  # the API and the admin act only for a signed-in user
    rule_set.save(update_fields=["rules", "version", "updated_by", "updated_at"])
    return MappingRuleSetVersion.objects.create(
        rule_set=rule_set,
        number=rule_set.version,
        rules=rules,
        action=action,
        summary=summary,
        comment=comment[:500],
        created_by=cast("User | None", user),  # the API and the admin act only for a signed-in user
    )


def mapping_rules_save(
    *,
    connector: Connector,
    direction: str,
    rules: list[Any],
    user: "User | AnonymousUser | None",
    comment: str = "",
    expected_version: int | None = None,
) -> MappingRuleSetVersion:
    """Validate and save the connector's own rules as a new version.

    Raises MappingRulesInvalid (nothing saved) or MappingRulesConflict (someone saved meanwhile).
    """
    problems = mapping_rules_validate(connector=connector, direction=direction, rules=rules)
    if problems:
        raise MappingRulesInvalid(problems)
    return _version_append(
        connector=connector,
        direction=direction,
        rules=rules,
        action=MappingRuleSetVersion.Action.SAVE,
        user=user,
        comment=comment,
        expected_version=expected_version,
    )


def mapping_rules_copy_defaults(
    *, connector: Connector, direction: str, user: "User | AnonymousUser | None", comment: str = ""
) -> MappingRuleSetVersion:
    """Give the connector its own copy of the kind's defaults, to edit from."""
    return _version_append(
        connector=connector,
        direction=direction,
        rules=mapping_rules_defaults(connector=connector, direction=direction),
        action=MappingRuleSetVersion.Action.COPY_DEFAULTS,
        user=user,
        comment=comment,
        summary="Own copy of the kind's default rules.",
    )


def mapping_rules_reset(
    *, connector: Connector, direction: str, user: "User | AnonymousUser | None", comment: str = ""
) -> MappingRuleSetVersion:
    """Drop the connector's own rules: its kind's defaults apply again. The history stays."""
    return _version_append(
        connector=connector,
        direction=direction,
        rules=None,
        action=MappingRuleSetVersion.Action.RESET,
        user=user,
        comment=comment,
        summary="Back to the kind's default rules.",
    )


def mapping_rules_restore(
    *, version: MappingRuleSetVersion, user: "User | AnonymousUser | None", comment: str = ""
) -> MappingRuleSetVersion:
    """Make an earlier version current again, as a new version. Raises MappingRulesInvalid when
    the old rules no longer pass validation (nothing is changed then)."""
    rule_set = version.rule_set
    if version.rules is not None:
        problems = mapping_rules_validate(
            connector=rule_set.connector, direction=rule_set.direction, rules=version.rules
        )
        if problems:
            raise MappingRulesInvalid(problems)
    return _version_append(
        connector=rule_set.connector,
        direction=rule_set.direction,
        rules=version.rules,
        action=MappingRuleSetVersion.Action.RESTORE,
        user=user,
        comment=comment or f"Restored version {version.number}.",
    )
