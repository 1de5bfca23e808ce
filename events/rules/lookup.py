"""Which mapping rules apply to a connector: its own, or its kind's shipped defaults.

A change saved in the admin applies to the very next event in every web and worker process:
``rules_for`` reads the rule set on each call, and the webhook's hot path, which learns the rule
set's id and ``updated_at`` from the query that finds the connector (``events.intake.callers``),
keeps the parsed rules per process keyed by both, so a saved change is a new key.
"""

from datetime import datetime

from connectors.kinds.base import Direction, Kind
from connectors.models import Connector
from core.revision_cache import RevisionCache
from events.rule_models import MappingRuleSet

# (rule set id, updated_at) → the rule set's rules.
_RULES: RevisionCache[list[dict] | None] = RevisionCache()


def _enabled(rules: list[dict] | None, defaults: list[dict]) -> list[dict]:
    if rules is None:
        return list(defaults)
    return [rule for rule in rules if rule.get("enabled", True) is not False]


def rules_for(*, connector: Connector, direction: str, kind: Kind) -> list[dict]:
    """The connector's enabled rules when it has its own, else the kind's defaults.

    A direction its kind ships no rules for (CDP → engine) has none, and costs no query.
    """
    defaults = kind.default_rules.get(Direction(direction))
    if defaults is None:
        return []
    found = MappingRuleSet.objects.filter(connector=connector, direction=direction).order_by()
    return _enabled(next(iter(found.values_list("rules", flat=True)[:1]), None), defaults)


def rules_for_revision(
    *, kind: Kind, direction: str, rule_set_id: int | None, updated_at: datetime | None
) -> list[dict]:
    """``rules_for`` when the caller already knows which revision of the rule set is current."""
    defaults = kind.default_rules.get(Direction(direction))
    if defaults is None:
        return []
    if rule_set_id is None:
        return list(defaults)
    rules = _RULES.get(
        (rule_set_id, updated_at),
        lambda: MappingRuleSet.objects.filter(pk=rule_set_id).values_list("rules", flat=True).first(),
    )
    return _enabled(rules, defaults)
