"""Which mapping rules apply to a connector: its own, or its kind's shipped defaults.

On the webhook's path: one query on the (connector, direction) unique index, no cache, so a
change saved in the admin applies to the very next event in every web and worker process.
"""

from connectors.kinds.base import Direction, Kind
from connectors.models import Connector
from events.rule_models import MappingRuleSet


def rules_for(*, connector: Connector, direction: str, kind: Kind) -> list[dict]:
    """The connector's enabled rules when it has its own, else the kind's defaults.

    A direction its kind ships no rules for (CDP → engine) has none, and costs no query.
    """
    defaults = kind.default_rules.get(Direction(direction))
    if defaults is None:
        return []
    found = MappingRuleSet.objects.filter(connector=connector, direction=direction).order_by()
    own = next(iter(found.values_list("rules", flat=True)[:1]), None)
    if own is None:
        return list(defaults)
    return [rule for rule in own if rule.get("enabled", True) is not False]
