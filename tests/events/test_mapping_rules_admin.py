"""The "Mapping rules" admin as integration staff (edit, preview, save, history, restore) and as
Support (read-only)."""

import copy
import json
import uuid

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.urls import reverse

from connectors.groups import INTEGRATION_STAFF, SUPPORT
from connectors.kinds.base import Direction
from connectors.kinds.registry import kind_get
from events.models import MappingRuleSet, MappingRuleSetVersion
from events.services.mapping_rules import mapping_rule_set_get, mapping_rules_save
from events.services.receive import events_receive
from events.services.rules import rules_for
from tests.connectors.factories import ConnectorFactory, UserFactory

pytestmark = pytest.mark.django_db

KIND = kind_get("air_segment")
DEFAULTS = KIND.default_rules[Direction.OUT]
PURCHASE_INDEX = next(i for i, rule in enumerate(DEFAULTS) if rule["name"] == "Purchase")
ADD_URL = reverse("admin:events_mappingruleset_add")


def change_url(rule_set) -> str:
    return reverse("admin:events_mappingruleset_change", args=[rule_set.pk])


def restore_url(rule_set, number: int) -> str:
    return reverse("admin:events_mappingruleset_restore", args=[rule_set.pk, number])


def renamed_purchase() -> list[dict]:
    rules = copy.deepcopy(DEFAULTS)
    rules[PURCHASE_INDEX]["messages"][1]["event"] = "Order Completed"
    rules[PURCHASE_INDEX]["messages"][1]["context"]["traits"]["tier_name"] = {"template": "Tier {tier_id}"}
    return rules


def settle_event(connector):
    sample = copy.deepcopy(KIND.samples[Direction.OUT]["POSCONNECT.WALLET.SETTLE"])
    sample["headers"]["eesEventId"] = str(uuid.uuid4())
    return events_receive(connector=connector, direction="out", payload=sample)[0].event


def purchase_event_names(rules: list[dict]) -> list[str]:
    return [rule["messages"][1]["event"] for rule in rules if rule["name"] == "Purchase"]


@pytest.fixture
def staff(client):
    user = UserFactory(group=INTEGRATION_STAFF)
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def support(client):
    user = UserFactory(group=SUPPORT)
    # connectors.groups does not grant Support these yet; the lead adds them there.
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_mappingruleset"]))
    client.force_login(user)
    return client


def test_staff_pick_a_connector_of_a_kind_with_rules_and_its_editor_opens_on_the_defaults(staff):
    air = ConnectorFactory()
    everflow = ConnectorFactory(kind="segment_everflow", settings={})

    picker = staff.get(ADD_URL)
    choices = [value.value for value, _ in picker.context["form"].fields["connector"].choices if value]
    opened = staff.post(ADD_URL, {"connector": air.pk})

    assert choices == [air.pk]
    assert everflow.pk not in choices
    rule_set = MappingRuleSet.objects.get(connector=air)
    assert opened.status_code == 302
    assert opened.url == change_url(rule_set)
    assert (rule_set.direction, rule_set.rules, rule_set.version) == ("out", None, 0)
    page = staff.get(change_url(rule_set))
    assert json.loads(page.context["form"].initial["rules"]) == DEFAULTS
    assert "This connector uses the kind's default rules." in page.content.decode()


def test_the_list_says_which_connectors_have_rules_of_their_own(staff):
    own, defaults = ConnectorFactory(name="Own names"), ConnectorFactory(name="Standard names")
    mapping_rules_save(connector=own, direction="out", rules=renamed_purchase(), user=None)
    mapping_rule_set_get(connector=defaults, direction="out")

    response = staff.get(reverse("admin:events_mappingruleset_changelist"))

    rows = {row.connector.name: row for row in response.context["cl"].result_list}
    admin = response.context["cl"].model_admin
    assert response.status_code == 200
    assert admin.applying(rows["Own names"]) == f"Its own ({len(DEFAULTS)} rules)"
    assert admin.applying(rows["Standard names"]) == "The kind's defaults"
    assert "Eagle Eye AIR ⇄ Segment" in response.content.decode()


def test_preview_shows_the_context_and_both_sides_before_anything_is_saved(staff):
    connector = ConnectorFactory()
    event = settle_event(connector)
    rule_set = mapping_rule_set_get(connector=connector, direction="out")

    response = staff.post(
        change_url(rule_set),
        {
            "rules": json.dumps(renamed_purchase()),
            "base_version": "0",
            "preview_source": f"event:{event.pk}",
            "_preview": "Preview",
        },
    )

    assert response.status_code == 200
    preview = response.context["preview"]
    assert preview.context == event.context
    assert [m.get("event") for m in preview.current.requests[0]["batch"]][-1] == "EE Loyalty Purchase"
    edited_purchase = preview.edited.requests[0]["batch"][-1]
    assert edited_purchase["event"] == "Order Completed"
    assert edited_purchase["context"]["traits"]["tier_name"] == "Tier 12"
    page = response.content.decode()
    assert "Sent with the rules in force" in page
    assert "Sent with the edited rules" in page
    assert "Order Completed" in page
    assert not MappingRuleSetVersion.objects.exists()
    assert rules_for(connector=connector, direction="out", kind=KIND) == DEFAULTS


def test_saving_from_the_editor_makes_a_version_that_applies_and_is_listed(staff):
    connector = ConnectorFactory()
    rule_set = mapping_rule_set_get(connector=connector, direction="out")

    response = staff.post(
        change_url(rule_set),
        {
            "rules": json.dumps(renamed_purchase()),
            "base_version": "0",
            "comment": "Retailer names",
            "_save": "1",
        },
    )

    assert response.status_code == 302
    [version] = MappingRuleSetVersion.objects.all()
    assert (version.number, version.created_by, version.comment) == (1, staff.user, "Retailer names")
    assert purchase_event_names(rules_for(connector=connector, direction="out", kind=KIND)) == [
        "Order Completed"
    ]
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Version 1: Saved. Changed: Purchase."]
    page = staff.get(change_url(rule_set)).content.decode()
    assert "Retailer names" in page
    assert str(staff.user) in page


def test_a_broken_expression_is_refused_with_the_rule_and_field_named(staff):
    connector = ConnectorFactory()
    rule_set = mapping_rule_set_get(connector=connector, direction="out")
    rules = renamed_purchase()
    rules[PURCHASE_INDEX]["condition"] = "tier_id == '3"

    response = staff.post(
        change_url(rule_set), {"rules": json.dumps(rules), "base_version": "0", "_save": "1"}
    )

    assert response.status_code == 200
    [problem] = response.context["problems"]
    assert str(problem).startswith(
        f"Rule {PURCHASE_INDEX + 1} “Purchase”, condition: Invalid JMESPath expression"
    )
    assert str(problem).split(":")[0] in response.content.decode()
    assert json.loads(response.context["form"].data["rules"]) == rules
    assert not MappingRuleSetVersion.objects.exists()
    assert MappingRuleSet.objects.get(pk=rule_set.pk).rules is None


def test_copy_defaults_reset_and_restore_from_the_history(staff):
    connector = ConnectorFactory()
    rule_set = mapping_rule_set_get(connector=connector, direction="out")

    staff.post(change_url(rule_set), {"_copy_defaults": "1"})
    staff.post(
        change_url(rule_set), {"rules": json.dumps(renamed_purchase()), "base_version": "1", "_save": "1"}
    )
    staff.post(change_url(rule_set), {"_reset": "1", "comment": "Standard names again"})
    after_reset = rules_for(connector=connector, direction="out", kind=KIND)
    restored = staff.post(restore_url(rule_set, 2))

    assert restored.status_code == 302
    assert after_reset == DEFAULTS
    assert list(MappingRuleSetVersion.objects.values_list("number", "action", "created_by")) == [
        (4, "restore", staff.user.pk),
        (3, "reset", staff.user.pk),
        (2, "save", staff.user.pk),
        (1, "copy_defaults", staff.user.pk),
    ]
    assert purchase_event_names(rules_for(connector=connector, direction="out", kind=KIND)) == [
        "Order Completed"
    ]
    page = staff.get(change_url(rule_set)).content.decode()
    assert "Restore version 3" in page
    assert "Restore version 4" not in page


def test_restore_needs_a_post(staff):
    connector = ConnectorFactory()
    version = mapping_rules_save(connector=connector, direction="out", rules=renamed_purchase(), user=None)

    response = staff.get(restore_url(version.rule_set, 1))

    assert response.status_code == 403
    assert MappingRuleSetVersion.objects.count() == 1


def test_support_sees_the_rules_and_history_read_only_and_may_preview(support):
    connector = ConnectorFactory()
    version = mapping_rules_save(connector=connector, direction="out", rules=renamed_purchase(), user=None)
    rule_set = version.rule_set

    page = support.get(change_url(rule_set))
    preview = support.post(
        change_url(rule_set),
        {"rules": "[]", "preview_source": "sample:POSCONNECT.WALLET.SETTLE", "_preview": "Preview"},
    )

    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="_save"' not in html
    assert "Restore version" not in html
    assert "readonly" in html
    assert preview.status_code == 200
    assert preview.context["preview"].edited.requests == preview.context["preview"].current.requests


def test_support_cannot_save_reset_restore_or_open_rules(support):
    connector = ConnectorFactory()
    version = mapping_rules_save(connector=connector, direction="out", rules=renamed_purchase(), user=None)
    rule_set = version.rule_set

    saved = support.post(change_url(rule_set), {"rules": "[]", "base_version": "1", "_save": "1"})
    reset = support.post(change_url(rule_set), {"_reset": "1"})
    restored = support.post(restore_url(rule_set, 1))
    opened = support.get(ADD_URL)

    assert [r.status_code for r in (saved, reset, restored, opened)] == [403, 403, 403, 403]
    assert MappingRuleSetVersion.objects.count() == 1
    assert MappingRuleSet.objects.get(pk=rule_set.pk).version == 1
