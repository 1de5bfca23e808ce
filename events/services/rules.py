"""Which mapping rules apply to a connector: its own, or its kind's shipped defaults."""

from connectors.kinds.base import Direction, Kind
from connectors.models import Connector


def rules_for(*, connector: Connector, direction: str, kind: Kind) -> list[dict]:
    return list(kind.default_rules.get(Direction(direction), []))
