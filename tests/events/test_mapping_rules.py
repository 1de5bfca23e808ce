"""Mapping-rule services: validation, versions, copy/reset/restore, preview and which rules apply."""

import copy
import uuid

import pytest

from connectors.kinds.base import Direction
from connectors.kinds.registry import kind_get
from events.intake.receive import events_receive
from events.models import MappingRuleSet, MappingRuleSetVersion
from events.rules.lookup import rules_for
from events.rules.mapping_preview import mapping_rules_preview
from events.rules.mapping_rules import (
    MappingRulesConflict,
    MappingRulesInvalid,
    RuleProblem,
    mapping_kinds,
    mapping_rules_copy_defaults,
    mapping_rules_parse,
    mapping_rules_reset,
    mapping_rules_restore,
    mapping_rules_save,
)
from tests.connectors.factories import ConnectorFactory, UserFactory

pytestmark = pytest.mark.django_db

KIND = kind_get("air_segment")
DEFAULTS = KIND.default_rules[Direction.OUT]
# The SETTLE sample redeems two coupons: one track call each, before the purchase.
COUPONS_REDEEMED = ["EE Loyalty Coupon Redeemed", "EE Loyalty Coupon Redeemed"]
PURCHASE_INDEX = next(i for i, rule in enumerate(DEFAULTS) if rule["name"] == "Purchase")


def renamed_purchase(name: str = "Order Completed") -> list[dict]:
    """The defaults with the purchase track call renamed and a trait added."""
    rules = copy.deepcopy(DEFAULTS)
    purchase = rules[PURCHASE_INDEX]["messages"][1]
    assert purchase["event"] == "EE Loyalty Purchase"
    purchase["event"] = name
    purchase["context"]["traits"]["favourite_store"] = {"path": "transaction.store_location.store_id"}
    return rules


def settle_event(connector):
    sample = copy.deepcopy(KIND.samples[Direction.OUT]["POSCONNECT.WALLET.SETTLE"])
    sample["headers"]["eesEventId"] = str(uuid.uuid4())
    [received] = events_receive(connector=connector, direction="out", payload=sample)
    return received.event


def purchase_names(rules: list[dict]) -> list[str]:
    return [rule["messages"][1]["event"] for rule in rules if rule["name"] == "Purchase"]


def test_only_kinds_with_default_rules_have_mapping_rules():
    assert mapping_kinds() == ["air_segment", "voucherify_segment"]


def test_a_connector_without_rules_of_its_own_gets_the_kinds_defaults(django_assert_num_queries):
    connector = ConnectorFactory()

    with django_assert_num_queries(1):
        rules = rules_for(connector=connector, direction="out", kind=KIND)

    assert rules == DEFAULTS


def test_a_direction_without_default_rules_has_no_rules_and_costs_no_query(django_assert_num_queries):
    connector = ConnectorFactory()

    with django_assert_num_queries(0):
        rules = rules_for(connector=connector, direction="in", kind=KIND)

    assert rules == []


def test_saving_rules_versions_them_and_they_apply_to_that_connector_only(django_assert_num_queries):
    connector, other = ConnectorFactory(), ConnectorFactory()
    user = UserFactory()
    rules = renamed_purchase()
    rules[0]["enabled"] = False

    version = mapping_rules_save(
        connector=connector, direction="out", rules=rules, user=user, comment="Retailer's own names"
    )

    assert (version.number, version.action, version.created_by, version.comment) == (
        1,
        MappingRuleSetVersion.Action.SAVE,
        user,
        "Retailer's own names",
    )
    assert version.summary == "Changed: Program joined (wallet and accounts created), Purchase."
    with django_assert_num_queries(1):
        applying = rules_for(connector=connector, direction="out", kind=KIND)
    assert applying == rules[1:]
    assert purchase_names(applying) == ["Order Completed"]
    assert rules_for(connector=other, direction="out", kind=KIND) == DEFAULTS


def test_a_saved_rename_reaches_the_next_event_translated():
    connector = ConnectorFactory()
    mapping_rules_save(connector=connector, direction="out", rules=renamed_purchase(), user=None)

    event = settle_event(connector)

    [delivery] = event.deliveries.all()
    tracks = [m for m in delivery.body["batch"] if m["type"] == "track"]
    assert [m["event"] for m in tracks] == [*COUPONS_REDEEMED, "Order Completed"]
    assert tracks[-1]["context"]["traits"]["favourite_store"] == "store-101"


def test_a_broken_expression_is_refused_naming_the_rule_and_the_field():
    connector = ConnectorFactory()
    rules = copy.deepcopy(DEFAULTS)
    rules[PURCHASE_INDEX]["messages"][1]["properties"]["total"] = {"path": "transaction.total[["}

    with pytest.raises(MappingRulesInvalid) as refused:
        mapping_rules_save(connector=connector, direction="out", rules=rules, user=None)

    [problem] = refused.value.problems
    assert (problem.index, problem.rule, problem.field) == (
        PURCHASE_INDEX + 1,
        "Purchase",
        "messages[1].properties.total.path",
    )
    assert problem.message.startswith("Invalid JMESPath expression 'transaction.total[[':")
    assert str(problem).startswith(
        f"Rule {PURCHASE_INDEX + 1} “Purchase”, messages[1].properties.total.path:"
    )
    assert not MappingRuleSet.objects.exists()
    assert not MappingRuleSetVersion.objects.exists()


def test_missing_names_and_event_names_are_each_reported():
    connector = ConnectorFactory()
    rules = copy.deepcopy(DEFAULTS)
    rules[0]["name"] = " "
    rules[PURCHASE_INDEX]["messages"][1]["event"] = ""

    with pytest.raises(MappingRulesInvalid) as refused:
        mapping_rules_save(connector=connector, direction="out", rules=rules, user=None)

    assert refused.value.problems == [
        RuleProblem(1, " ", "name", "A name is required."),
        RuleProblem(PURCHASE_INDEX + 1, "Purchase", "messages[1].event", "An event name is required."),
    ]
    assert not MappingRuleSetVersion.objects.exists()


def test_a_rule_failing_on_a_sample_event_is_refused_naming_the_sample():
    connector = ConnectorFactory()
    rules = copy.deepcopy(DEFAULTS)
    rules[PURCHASE_INDEX]["messages"][1]["for_each"] = "transaction"

    with pytest.raises(MappingRulesInvalid) as refused:
        mapping_rules_save(connector=connector, direction="out", rules=rules, user=None)

    assert refused.value.problems == [
        RuleProblem(
            PURCHASE_INDEX + 1,
            "Purchase",
            "messages[1].for_each",
            "On the sample POSCONNECT.WALLET.SETTLE: 'transaction' is a dict, not a list",
        )
    ]
    assert not MappingRuleSetVersion.objects.exists()


def test_a_message_over_segments_32_kb_on_a_sample_is_refused():
    connector = ConnectorFactory()
    rules = copy.deepcopy(DEFAULTS)
    rules[PURCHASE_INDEX]["messages"][1]["properties"]["notes"] = "x" * 33_000

    with pytest.raises(MappingRulesInvalid) as refused:
        mapping_rules_save(connector=connector, direction="out", rules=rules, user=None)

    [problem] = refused.value.problems
    assert (problem.index, problem.field) == (PURCHASE_INDEX + 1, "messages[1]")
    assert problem.message.startswith("On the sample POSCONNECT.WALLET.SETTLE a message is ")
    assert problem.message.endswith("bytes once sent, over Segment's limit of 32768 bytes (32 KB).")
    assert not MappingRuleSetVersion.objects.exists()


def test_text_that_is_not_a_json_list_of_rules_is_refused():
    with pytest.raises(MappingRulesInvalid) as not_json:
        mapping_rules_parse(text='[{"name": "x",}]')
    with pytest.raises(MappingRulesInvalid) as not_list:
        mapping_rules_parse(text='{"name": "x"}')

    # The broken JSON is placed as staff look for it: in the first rule, after its "name" key.
    assert [str(p) for p in not_json.value.problems] == [
        "Rule 1 “x”, JSON: Expecting property name enclosed in double quotes after “name” (line 1, column 15)."
    ]
    assert [str(p) for p in not_list.value.problems] == ["rules: Must be a list of rules: [ {...}, {...} ]."]


def test_a_kind_without_default_rules_has_no_mapping_rules():
    connector = ConnectorFactory(kind="segment_everflow", settings={})

    with pytest.raises(MappingRulesInvalid) as refused:
        mapping_rules_save(connector=connector, direction="out", rules=[], user=None)

    assert [p.field for p in refused.value.problems] == ["connector"]
    assert not MappingRuleSet.objects.exists()


def test_copy_defaults_gives_the_connector_its_own_copy():
    connector = ConnectorFactory()
    user = UserFactory()

    version = mapping_rules_copy_defaults(connector=connector, direction="out", user=user)

    rule_set = MappingRuleSet.objects.get(connector=connector)
    assert rule_set.rules == DEFAULTS
    assert (rule_set.version, rule_set.updated_by) == (1, user)
    assert (version.action, version.rules) == (MappingRuleSetVersion.Action.COPY_DEFAULTS, DEFAULTS)


def test_reset_drops_own_rules_and_keeps_the_history():
    connector = ConnectorFactory()
    mapping_rules_save(connector=connector, direction="out", rules=renamed_purchase(), user=None)

    version = mapping_rules_reset(connector=connector, direction="out", user=None, comment="Back to standard")

    assert (version.number, version.action, version.rules) == (2, MappingRuleSetVersion.Action.RESET, None)
    assert MappingRuleSet.objects.get(connector=connector).uses_defaults
    assert list(MappingRuleSetVersion.objects.values_list("number", flat=True)) == [2, 1]
    assert rules_for(connector=connector, direction="out", kind=KIND) == DEFAULTS


def test_restore_makes_an_earlier_version_current_as_a_new_version():
    connector = ConnectorFactory()
    first = mapping_rules_save(connector=connector, direction="out", rules=renamed_purchase(), user=None)
    mapping_rules_save(
        connector=connector, direction="out", rules=renamed_purchase("Purchase Made"), user=None
    )
    user = UserFactory()

    restored = mapping_rules_restore(version=first, user=user)

    assert (restored.number, restored.action, restored.created_by) == (3, "restore", user)
    assert restored.comment == "Restored version 1."
    assert restored.summary == "Changed: Purchase."
    assert purchase_names(rules_for(connector=connector, direction="out", kind=KIND)) == ["Order Completed"]


def test_restoring_a_reset_brings_the_defaults_back():
    connector = ConnectorFactory()
    mapping_rules_save(connector=connector, direction="out", rules=renamed_purchase(), user=None)
    reset = mapping_rules_reset(connector=connector, direction="out", user=None)
    mapping_rules_save(connector=connector, direction="out", rules=renamed_purchase(), user=None)

    mapping_rules_restore(version=reset, user=None)

    assert rules_for(connector=connector, direction="out", kind=KIND) == DEFAULTS


def test_saving_over_someone_elses_newer_version_is_refused():
    connector = ConnectorFactory()
    mapping_rules_save(
        connector=connector, direction="out", rules=renamed_purchase(), user=UserFactory(username="ann")
    )

    with pytest.raises(MappingRulesConflict) as refused:
        mapping_rules_save(
            connector=connector, direction="out", rules=DEFAULTS, user=None, expected_version=0
        )

    assert str(refused.value).startswith("Version 1 was saved by ann since you opened these rules.")
    assert MappingRuleSet.objects.get(connector=connector).version == 1


def test_preview_shows_the_stored_event_with_current_and_edited_messages():
    connector = ConnectorFactory()
    event = settle_event(connector)

    preview = mapping_rules_preview(
        connector=connector, direction="out", edited_rules=renamed_purchase(), event=event
    )

    assert preview.source == f"Stored event POSCONNECT.WALLET.SETTLE {event.source_event_id}"
    assert preview.context == event.context
    assert preview.problems == []
    [current] = preview.current.requests
    [edited] = preview.edited.requests
    assert current == event.deliveries.get().body
    assert [m.get("event") for m in current["batch"]] == [None, *COUPONS_REDEEMED, "EE Loyalty Purchase"]
    assert [m.get("event") for m in edited["batch"]] == [None, *COUPONS_REDEEMED, "Order Completed"]
    assert MappingRuleSetVersion.objects.count() == 0


def test_preview_of_invalid_edited_rules_shows_the_problems_and_the_current_side_only():
    connector = ConnectorFactory()
    rules = copy.deepcopy(DEFAULTS)
    rules[PURCHASE_INDEX]["condition"] = "tier_id =="

    preview = mapping_rules_preview(
        connector=connector, direction="out", edited_rules=rules, sample="POSCONNECT.WALLET.SETTLE"
    )

    assert preview.source == "Sample POSCONNECT.WALLET.SETTLE"
    assert [(p.index, p.field) for p in preview.problems] == [(PURCHASE_INDEX + 1, "condition")]
    assert preview.edited is None
    assert len(preview.current.requests) == 1


def test_preview_of_an_event_the_rules_do_not_map_says_so():
    connector = ConnectorFactory()
    rules = [rule for rule in DEFAULTS if rule["event_type"] != "POSCONNECT.WALLET.SETTLE"]

    preview = mapping_rules_preview(
        connector=connector, direction="out", edited_rules=rules, sample="POSCONNECT.WALLET.SETTLE"
    )

    assert preview.edited.requests == []
    assert preview.edited.outcome == "No mapping rule for POSCONNECT.WALLET.SETTLE"


def test_preview_refuses_another_connectors_event():
    connector, other = ConnectorFactory(), ConnectorFactory()
    event = settle_event(other)

    with pytest.raises(MappingRulesInvalid) as refused:
        mapping_rules_preview(connector=connector, direction="out", edited_rules=None, event=event)

    assert [str(p) for p in refused.value.problems] == ["event: That event is not one of this connector's."]


def test_a_voucherify_connector_renames_its_calls_the_same_way():
    connector = ConnectorFactory(
        kind="voucherify_segment",
        settings={
            "segment_region": "EU",
            "voucherify_api_url": "https://api.voucherify.io",
            "voucherify_app_id": "a",
        },
        secrets={
            "voucherify_webhook_secret": "whsec",
            "segment_write_key": "wk",
            "voucherify_app_token": "t",
        },
    )
    voucherify = kind_get("voucherify_segment")
    rules = copy.deepcopy(voucherify.default_rules[Direction.OUT])
    renamed = [m for rule in rules for m in rule["messages"] if m["type"] == "track"]
    for message in renamed:
        message["event"] = "Retailer Voucher Event"

    mapping_rules_save(connector=connector, direction="out", rules=rules, user=None)
    preview = mapping_rules_preview(
        connector=connector, direction="out", edited_rules=None, sample="redemption.succeeded"
    )

    tracks = [m for body in preview.current.requests for m in body["batch"] if m["type"] == "track"]
    assert renamed
    assert tracks
    assert {m["event"] for m in tracks} == {"Retailer Voucher Event"}
    assert preview.edited is None
