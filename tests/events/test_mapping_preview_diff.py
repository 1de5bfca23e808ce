"""Previewing edited rules: the difference against the rules in force, and finding the stored event
by the id support has."""

import copy
import uuid

import pytest

from connectors.kinds.base import Direction
from connectors.kinds.registry import kind_get
from events.intake.receive import events_receive
from events.rules.mapping_preview import mapping_preview_event_get, mapping_rules_preview
from events.rules.mapping_rules import MappingRulesInvalid
from tests.connectors.factories import ConnectorFactory

pytestmark = pytest.mark.django_db

KIND = kind_get("air_segment")
DEFAULTS = KIND.default_rules[Direction.OUT]
PURCHASE_INDEX = next(i for i, rule in enumerate(DEFAULTS) if rule["name"] == "Purchase")


def settle_event(connector):
    sample = copy.deepcopy(KIND.samples[Direction.OUT]["POSCONNECT.WALLET.SETTLE"])
    sample["headers"]["eesEventId"] = str(uuid.uuid4())
    [received] = events_receive(connector=connector, direction="out", payload=sample)
    return received.event


def test_the_preview_diff_names_a_property_whose_path_changed():
    connector = ConnectorFactory()
    rules = copy.deepcopy(DEFAULTS)
    rules[PURCHASE_INDEX]["messages"][1]["properties"]["order_id"] = {"path": "transaction.total"}

    preview = mapping_rules_preview(
        connector=connector, direction="out", edited_rules=rules, sample="POSCONNECT.WALLET.SETTLE"
    )

    changed = [m for m in preview.diff.messages if m.change == "changed"]
    [purchase] = changed
    [field] = purchase.fields
    # order_id now carries the transaction's total in place of its reference.
    assert (field.path, field.before, field.after) == (
        "properties.order_id",
        purchase.before["properties"]["order_id"],
        purchase.before["properties"]["total"],
    )
    assert field.before != field.after
    assert preview.diff.summary == "1 changed"


def test_a_disabled_rule_shows_its_messages_removed():
    connector = ConnectorFactory()
    rules = copy.deepcopy(DEFAULTS)
    rules[PURCHASE_INDEX]["enabled"] = False

    preview = mapping_rules_preview(
        connector=connector, direction="out", edited_rules=rules, sample="POSCONNECT.WALLET.SETTLE"
    )

    # Nothing maps the SETTLE any more: the identify, both coupon tracks and the purchase go.
    assert preview.edited.outcome == "No mapping rule for POSCONNECT.WALLET.SETTLE"
    assert [m.change for m in preview.diff.messages] == ["removed"] * 4
    assert preview.diff.summary == "4 removed"


def test_invalid_edited_rules_have_no_diff():
    connector = ConnectorFactory()
    rules = copy.deepcopy(DEFAULTS)
    rules[PURCHASE_INDEX]["condition"] = "tier_id =="

    preview = mapping_rules_preview(
        connector=connector, direction="out", edited_rules=rules, sample="POSCONNECT.WALLET.SETTLE"
    )

    assert (preview.edited, preview.diff) == (None, None)


def test_a_stored_event_is_found_by_its_public_id_for_its_own_connector_only():
    connector, other = ConnectorFactory(), ConnectorFactory()
    event = settle_event(connector)

    found = mapping_preview_event_get(connector=connector, direction="out", public_id=f" {event.public_id} ")
    with pytest.raises(MappingRulesInvalid) as elsewhere:
        mapping_preview_event_get(connector=other, direction="out", public_id=str(event.public_id))
    with pytest.raises(MappingRulesInvalid) as not_an_id:
        mapping_preview_event_get(connector=connector, direction="out", public_id="1111111111111111")

    assert found == event
    assert [str(p) for p in elsewhere.value.problems] == [
        f"event: No stored event {event.public_id} of this connector in this direction."
    ]
    assert [str(p) for p in not_an_id.value.problems] == ["event: '1111111111111111' is not an event id (a UUID)."]
