"""The "Mapping rules" admin as integration staff (the rule list, a rule's form, the JSON tab,
preview with its difference, save, history, restore) and as Support (read-only)."""

import copy
import json
import uuid
from html.parser import HTMLParser

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from connectors.kinds.base import Direction
from connectors.kinds.registry import kind_get
from core.groups import INTEGRATION_STAFF
from events.intake.receive import events_receive
from events.models import MappingRuleSet, MappingRuleSetVersion
from events.rules.lookup import rules_for
from events.rules.mapping_rules import mapping_rule_set_get, mapping_rules_save
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


def rule_url(rule_set, position: int) -> str:
    return reverse("admin:events_mappingruleset_rule", args=[rule_set.pk, position])


class _FormFields(HTMLParser):
    """What a browser posts for the form ``form_id``: its inputs, checked boxes, selected options
    and text areas, leaving out the rows kept in a <template> for adding more."""

    def __init__(self, form_id: str):
        super().__init__()
        self.form_id, self.inside, self.template = form_id, False, 0
        self.data: dict[str, str] = {}
        self.select: str | None = None
        self.textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        if tag == "template":
            self.template += 1
        if not self.inside or self.template:
            return
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "button"):
            if attrs.get("type") != "checkbox" or "checked" in attrs:
                self.data[name] = attrs.get("value", "on" if attrs.get("type") == "checkbox" else "")
        elif tag == "select":
            self.select = name
        elif tag == "option" and self.select and ("selected" in attrs or self.select not in self.data):
            self.data[self.select] = attrs.get("value", "")
        elif tag == "textarea":
            self.textarea = name
            self.data[name] = ""

    def handle_endtag(self, tag):
        if tag == "template":
            self.template -= 1
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None
        elif tag == "form":
            self.inside = False

    def handle_data(self, data):
        if self.textarea and self.inside:
            self.data[self.textarea] += data.removeprefix("\n") if not self.data[self.textarea] else data


def form_fields(response, form_id: str = "mapping-rule-form") -> dict[str, str]:
    parser = _FormFields(form_id)
    parser.feed(response.content.decode())
    return parser.data


def row_name(fields: dict[str, str], message: int, name: str) -> str:
    """The posted name prefix of message ``message``'s row called ``name`` (``msg-1-rows-4``)."""
    [key] = [k for k, v in fields.items() if k.startswith(f"msg-{message}-rows-") and k.endswith("-name") and v == name]
    return key.removesuffix("-name")


def purchase_event_names(rules: list[dict]) -> list[str]:
    return [rule["messages"][1]["event"] for rule in rules if rule["name"] == "Purchase"]


@pytest.fixture
def staff(client):
    user = UserFactory(group=INTEGRATION_STAFF)
    client.force_login(user)
    client.user = user
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
    json_tab = support.get(change_url(rule_set) + "?tab=json")
    preview = support.post(
        change_url(rule_set),
        {"rules": "[]", "preview_source": "sample:POSCONNECT.WALLET.SETTLE", "_preview": "Preview"},
    )

    assert page.status_code == json_tab.status_code == 200
    html = page.content.decode()
    assert 'name="_save"' not in html
    assert "Restore version" not in html
    assert "Add a rule" not in html
    assert "readonly" in json_tab.content.decode()
    assert preview.status_code == 200
    assert preview.context["preview"].edited.requests == preview.context["preview"].current.requests
    assert not preview.context["preview"].diff.changed


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


def test_the_rules_tab_lists_each_rule_with_a_link_to_its_form(staff):
    connector = ConnectorFactory()
    rule_set = mapping_rule_set_get(connector=connector, direction="out")

    response = staff.get(change_url(rule_set))

    rows = response.context["rules"]
    html = response.content.decode()
    assert [row["rule"]["name"] for row in rows] == [rule["name"] for rule in DEFAULTS]
    purchase = rows[PURCHASE_INDEX]
    # One track call per redeemed coupon, then the purchase's own.
    assert purchase["messages"] == ["track “EE Loyalty Coupon Redeemed”", "track “EE Loyalty Purchase”"]
    assert f'href="{rule_url(rule_set, PURCHASE_INDEX + 1)}">Purchase</a>' in html
    assert "2: track “EE Loyalty Coupon Redeemed”, track “EE Loyalty Purchase”" in html


def test_editing_one_property_path_in_the_rule_form_saves_a_version_with_exactly_that_change(staff):
    connector = ConnectorFactory()
    rule_set = mapping_rule_set_get(connector=connector, direction="out")
    page = staff.get(rule_url(rule_set, PURCHASE_INDEX + 1))
    fields = form_fields(page)
    total = row_name(fields, 1, "total")
    assert fields[f"{total}-value"] == "transaction.total"

    saved = staff.post(
        rule_url(rule_set, PURCHASE_INDEX + 1),
        {**fields, f"{total}-value": "transaction.total_gross", "comment": "Gross total", "_save": "1"},
    )

    expected = copy.deepcopy(DEFAULTS)
    expected[PURCHASE_INDEX]["messages"][1]["properties"]["total"] = {"path": "transaction.total_gross"}
    assert saved.status_code == 302
    assert saved.url == rule_url(rule_set, PURCHASE_INDEX + 1)
    [version] = MappingRuleSetVersion.objects.all()
    assert (version.number, version.action, version.comment) == (1, "save", "Gross total")
    assert version.rules == expected
    assert rules_for(connector=connector, direction="out", kind=KIND) == expected
    assert [str(m) for m in get_messages(saved.wsgi_request)] == ["Version 1: Saved. Changed: Purchase."]


def test_a_rule_form_posted_unchanged_saves_the_same_rules(staff):
    connector = ConnectorFactory()
    rule_set = mapping_rule_set_get(connector=connector, direction="out")
    for position in range(1, len(DEFAULTS) + 1):
        fields = form_fields(staff.get(rule_url(rule_set, position)))
        staff.post(rule_url(rule_set, position), {**fields, "_save": "1"})

    # Every rule went through its form and back: none changed, so each version says so.
    assert rules_for(connector=connector, direction="out", kind=KIND) == DEFAULTS
    assert set(MappingRuleSetVersion.objects.values_list("summary", flat=True)) == {"No rule changed."}


def test_a_bad_jmespath_is_shown_next_to_its_property_and_nothing_is_saved(staff):
    connector = ConnectorFactory()
    rule_set = mapping_rule_set_get(connector=connector, direction="out")
    fields = form_fields(staff.get(rule_url(rule_set, PURCHASE_INDEX + 1)))
    total = row_name(fields, 1, "total")

    response = staff.post(
        rule_url(rule_set, PURCHASE_INDEX + 1), {**fields, f"{total}-value": "transaction.total[", "_save": "1"}
    )

    assert response.status_code == 200
    editor = response.context["editor"]
    rows = editor.messages.forms[1].rows.forms
    [bad] = [row for row in rows if row.errors]
    assert bad.cleaned_data["name"] == "total"
    [error] = bad.errors["value"]
    assert error.startswith("Invalid JMESPath expression 'transaction.total['")
    # Placed on the property's row, so nothing else on the page reports it.
    assert response.context["problems"] == []
    assert not editor.rule_form.errors
    html = response.content.decode()
    row_html = html[html.index(f'name="{total}-value"') :]
    assert row_html.index("Invalid JMESPath expression") < row_html.index("</tr>")
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Not saved: fix the problems marked below."]
    assert not MappingRuleSetVersion.objects.exists()
    assert MappingRuleSet.objects.get(pk=rule_set.pk).rules is None


def test_a_missing_event_name_and_a_bad_condition_are_shown_next_to_their_fields(staff):
    connector = ConnectorFactory()
    rule_set = mapping_rule_set_get(connector=connector, direction="out")
    fields = form_fields(staff.get(rule_url(rule_set, PURCHASE_INDEX + 1)))

    response = staff.post(
        rule_url(rule_set, PURCHASE_INDEX + 1),
        {**fields, "rule-condition": "tier_id == '3", "msg-1-event": "", "_save": "1"},
    )

    editor = response.context["editor"]
    [condition] = editor.rule_form.errors["condition"]
    assert condition.startswith("Invalid JMESPath expression")
    assert editor.messages.forms[1].errors == {"event": ["An event name is required."]}
    assert editor.messages.forms[0].errors == {}
    assert not MappingRuleSetVersion.objects.exists()


def test_preview_of_a_renamed_event_shows_that_message_event_changed(staff):
    connector = ConnectorFactory()
    rule_set = mapping_rule_set_get(connector=connector, direction="out")
    event = settle_event(connector)
    fields = form_fields(staff.get(rule_url(rule_set, PURCHASE_INDEX + 1)))

    response = staff.post(
        rule_url(rule_set, PURCHASE_INDEX + 1),
        {**fields, "msg-1-event": "Order Completed", "preview_event": str(event.public_id), "_preview": "1"},
    )

    assert response.status_code == 200
    diff = response.context["preview"].diff
    # The SETTLE sends an identify, a track per redeemed coupon (two) and the purchase's track.
    assert [(m.change, m.label) for m in diff.messages] == [
        ("same", "identify"),
        ("same", "track “EE Loyalty Coupon Redeemed”"),
        ("same", "track “EE Loyalty Coupon Redeemed”"),
        ("changed", "track “Order Completed”"),
    ]
    purchase = diff.messages[3]
    # The messageId names the message by its event, so a renamed event is a new id too.
    assert [(f.path, f.before, f.after) for f in purchase.fields] == [
        ("event", "EE Loyalty Purchase", "Order Completed"),
        ("messageId", purchase.before["messageId"], purchase.after["messageId"]),
    ]
    assert diff.summary == "1 changed"
    html = response.content.decode()
    assert "<code>&quot;EE Loyalty Purchase&quot;</code>" in html
    assert "<code>&quot;Order Completed&quot;</code>" in html
    assert not MappingRuleSetVersion.objects.exists()


def test_preview_on_an_unknown_event_id_says_so_and_keeps_the_edit(staff):
    connector = ConnectorFactory()
    rule_set = mapping_rule_set_get(connector=connector, direction="out")
    fields = form_fields(staff.get(rule_url(rule_set, PURCHASE_INDEX + 1)))
    unknown = uuid.uuid4()

    response = staff.post(
        rule_url(rule_set, PURCHASE_INDEX + 1),
        {**fields, "msg-1-event": "Order Completed", "preview_event": str(unknown), "_preview": "1"},
    )

    assert response.context["preview"] is None
    assert [str(p) for p in response.context["problems"]] == [
        f"event: No stored event {unknown} of this connector in this direction."
    ]
    assert form_fields(response)["msg-1-event"] == "Order Completed"


def test_a_rule_added_through_the_form_with_a_new_property_row_is_saved_last(staff):
    connector = ConnectorFactory()
    rule_set = mapping_rule_set_get(connector=connector, direction="out")
    add = reverse("admin:events_mappingruleset_rule_add", args=[rule_set.pk])
    fields = form_fields(staff.get(add))
    # As the "Add a property" button does: one more row in message 0's formset.
    new_rule = {
        **fields,
        "rule-name": "Points expired",
        "rule-event_type": "POINTS.EXPIRE",
        "rule-enabled": "on",
        "rule-order": "90",
        "msg-0-event": "Points Expired",
        "msg-0-user_id": "user_id",
        "msg-0-rows-TOTAL_FORMS": "1",
        "msg-0-rows-0-section": "properties",
        "msg-0-rows-0-name": "points",
        "msg-0-rows-0-kind": "json",
        "msg-0-rows-0-value": "-50",
        "_save": "1",
    }

    saved = staff.post(add, new_rule)

    assert saved.status_code == 302
    assert saved.url == rule_url(rule_set, len(DEFAULTS) + 1)
    rules = MappingRuleSet.objects.get(pk=rule_set.pk).rules
    assert rules[:-1] == DEFAULTS
    assert rules[-1] == {
        "name": "Points expired",
        "event_type": "POINTS.EXPIRE",
        "order": 90,
        "messages": [
            {"type": "track", "event": "Points Expired", "user_id": {"path": "user_id"}, "properties": {"points": -50}}
        ],
    }


def test_a_message_added_and_a_row_removed_are_saved_as_such(staff):
    connector = ConnectorFactory()
    rule_set = mapping_rule_set_get(connector=connector, direction="out")
    url = rule_url(rule_set, PURCHASE_INDEX + 1)
    fields = form_fields(staff.get(url))
    currency = row_name(fields, 1, "currency")

    added = staff.post(url, {**fields, f"{currency}-DELETE": "on", "_add_message": "1"})
    with_message = form_fields(added)
    saved = staff.post(
        url, {**with_message, "msg-2-type": "identify", "msg-2-user_id": "user_id", "_save": "1"}
    )

    assert added.status_code == 200
    assert with_message["msg-TOTAL_FORMS"] == "3"
    assert saved.status_code == 302
    purchase = MappingRuleSet.objects.get(pk=rule_set.pk).rules[PURCHASE_INDEX]
    assert "currency" not in purchase["messages"][1]["properties"]
    assert purchase["messages"][2] == {"type": "identify", "user_id": {"path": "user_id"}}


def test_deleting_a_rule_saves_the_rules_without_it(staff):
    connector = ConnectorFactory()
    rule_set = mapping_rule_set_get(connector=connector, direction="out")

    deleted = staff.post(rule_url(rule_set, PURCHASE_INDEX + 1), {"base_version": "0", "_delete_rule": "1"})

    assert deleted.status_code == 302
    assert deleted.url == change_url(rule_set)
    assert MappingRuleSet.objects.get(pk=rule_set.pk).rules == [r for r in DEFAULTS if r["name"] != "Purchase"]
    assert MappingRuleSetVersion.objects.get().summary == "Removed: Purchase."


def test_a_save_from_a_rule_page_opened_before_another_save_is_refused(staff):
    connector = ConnectorFactory()
    rule_set = mapping_rule_set_get(connector=connector, direction="out")
    fields = form_fields(staff.get(rule_url(rule_set, PURCHASE_INDEX + 1)))
    mapping_rules_save(connector=connector, direction="out", rules=renamed_purchase(), user=None)

    response = staff.post(rule_url(rule_set, PURCHASE_INDEX + 1), {**fields, "msg-1-event": "Sale", "_save": "1"})

    assert response.status_code == 200
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Not saved: Version 1 was saved by someone since you opened these rules. "
        "Reload the page to see it, then make your change again."
    ]
    assert purchase_event_names(MappingRuleSet.objects.get(pk=rule_set.pk).rules) == ["Order Completed"]
    assert MappingRuleSetVersion.objects.count() == 1


def test_the_json_tab_names_the_rule_and_key_where_the_json_breaks(staff):
    connector = ConnectorFactory()
    rule_set = mapping_rule_set_get(connector=connector, direction="out")
    text = json.dumps(DEFAULTS, indent=2)
    # Drop the comma after the purchase's event name.
    broken = text.replace('"event": "EE Loyalty Purchase",', '"event": "EE Loyalty Purchase"')

    response = staff.post(change_url(rule_set), {"rules": broken, "base_version": "0", "_save": "1"})

    assert response.status_code == 200
    assert response.context["tab"] == "json"
    [problem] = response.context["problems"]
    assert str(problem).startswith(
        f"Rule {PURCHASE_INDEX + 1} “Purchase”, JSON: Expecting ',' delimiter after “event” (line "
    )
    assert not MappingRuleSetVersion.objects.exists()


def test_the_json_tab_still_previews_with_the_difference(staff):
    connector = ConnectorFactory()
    rule_set = mapping_rule_set_get(connector=connector, direction="out")

    response = staff.post(
        change_url(rule_set),
        {
            "rules": json.dumps(renamed_purchase()),
            "base_version": "0",
            "preview_source": "sample:POSCONNECT.WALLET.SETTLE",
            "_preview": "1",
        },
    )

    [changed] = [m for m in response.context["preview"].diff.messages if m.change == "changed"]
    # renamed_purchase renames the event and adds the trait tier_name = "Tier " + the sample's tier 12.
    assert [(f.path, f.change, f.after) for f in changed.fields if f.path != "messageId"] == [
        ("event", "changed", "Order Completed"),
        ("context.traits.tier_name", "added", "Tier 12"),
    ]


def test_support_reads_a_rule_page_but_cannot_save_delete_or_add_rules(support):
    connector = ConnectorFactory()
    rule_set = mapping_rule_set_get(connector=connector, direction="out")
    url = rule_url(rule_set, PURCHASE_INDEX + 1)

    page = support.get(url)
    saved = support.post(url, {**form_fields(page), "msg-1-event": "Sale", "_save": "1"})
    deleted = support.post(url, {"base_version": "0", "_delete_rule": "1"})
    added = support.get(reverse("admin:events_mappingruleset_rule_add", args=[rule_set.pk]))
    preview = support.post(
        url, {"msg-1-event": "Sale", "preview_source": "sample:POSCONNECT.WALLET.SETTLE", "_preview": "1"}
    )

    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="_save"' not in html
    assert "Add a property" not in html
    assert all(field.disabled for field in page.context["editor"].rule_form.fields.values())
    assert [r.status_code for r in (saved, deleted, added)] == [403, 403, 403]
    # Support previews the rule in force: what it posted is not an edit.
    assert preview.status_code == 200
    assert not preview.context["preview"].diff.changed
    assert not MappingRuleSetVersion.objects.exists()
    assert MappingRuleSet.objects.get(pk=rule_set.pk).rules is None


def test_a_rule_position_the_connector_does_not_have_is_not_found(staff):
    rule_set = mapping_rule_set_get(connector=ConnectorFactory(), direction="out")

    assert staff.get(rule_url(rule_set, len(DEFAULTS) + 1)).status_code == 404
    assert staff.get(rule_url(rule_set, 0)).status_code == 404


def test_deleting_a_rule_from_a_page_opened_before_another_save_is_refused(staff):
    connector = ConnectorFactory()
    rule_set = mapping_rule_set_get(connector=connector, direction="out")
    mapping_rules_save(connector=connector, direction="out", rules=renamed_purchase(), user=None)

    response = staff.post(rule_url(rule_set, PURCHASE_INDEX + 1), {"base_version": "0", "_delete_rule": "1"})

    assert response.status_code == 200
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Not saved: Version 1 was saved by someone since you opened these rules. "
        "Reload the page to see it, then make your change again."
    ]
    assert len(MappingRuleSet.objects.get(pk=rule_set.pk).rules) == len(DEFAULTS)
    assert MappingRuleSetVersion.objects.count() == 1
