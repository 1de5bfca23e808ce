"""Staff edit one mapping rule in its form, preview what Segment would receive differently, save
it as a version of the connector's rules, go back to the defaults and restore the edit from the
history."""

import pytest
from playwright.sync_api import expect

from connectors.kinds.base import Direction
from connectors.kinds.registry import kind_get
from core.groups import INTEGRATION_STAFF
from events.models import MappingRuleSet
from tests.browser.conftest import log_in, staff_user
from tests.connectors.factories import ConnectorFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Copper-meadow-signal-58"
PURCHASE = 9  # the defaults' "Purchase" rule: a coupon track per redeemed coupon, then the purchase
EDITED_MESSAGES = "2: track “EE Loyalty Coupon Redeemed”, track “EE Loyalty Order Completed”"
DEFAULT_MESSAGES = "2: track “EE Loyalty Coupon Redeemed”, track “EE Loyalty Purchase”"


def _stored(rule_set: MappingRuleSet) -> tuple[int, bool, str]:
    """The rule set's version, whether the defaults apply, and the purchase track's event name."""
    rule_set.refresh_from_db()
    rules = rule_set.rules if rule_set.rules is not None else kind_get("air_segment").default_rules[Direction.OUT]
    return rule_set.version, rule_set.uses_defaults, rules[PURCHASE - 1]["messages"][1]["event"]


def test_staff_edit_a_rule_preview_the_difference_save_it_and_restore_versions(page):
    connector = ConnectorFactory(name="Harbour AIR", client__name="Harbour Stores", client__slug="harbour-stores")
    staff_user(username="ines", group=INTEGRATION_STAFF, password=PASSWORD)
    log_in(page, username="ines", password=PASSWORD)

    page.goto(f"/admin/connectors/connector/{connector.pk}/change/")
    page.get_by_role("link", name="Mapping rules", exact=True).click()
    # Its rules have never been opened: the connector is picked, and its rule set opens.
    page.get_by_label("Connector:").select_option(label="Harbour Stores · Harbour AIR (UAT)")
    page.get_by_role("button", name="Open its mapping rules").click()
    rule_set = MappingRuleSet.objects.get(connector=connector)
    purchase_row = page.locator("#mapping-rules tbody tr").nth(PURCHASE - 1)
    expect(purchase_row.locator("td").last).to_have_text(DEFAULT_MESSAGES)

    purchase_row.get_by_role("link", name="Purchase", exact=True).click()
    form = page.locator("#mapping-rule-form")
    event = form.locator('[name="msg-1-event"]')
    expect(event).to_have_value("EE Loyalty Purchase")
    event.fill("EE Loyalty Order Completed")
    form.get_by_label("Preview on:").select_option("sample:POSCONNECT.WALLET.SETTLE")
    form.locator('[name="_preview"]').click()

    # The purchase's track call is the one message changed, in its event name; nothing is saved yet.
    diff = page.locator("table.mapping-diff tbody tr")
    expect(page.locator("#preview + p strong")).to_have_text("1 changed")
    expect(diff.locator(".mapping-change-same")).to_have_count(3)  # the identify and two coupon tracks
    changed_event = diff.filter(has=page.locator("td:nth-child(3) code", has_text="event"))
    expect(changed_event.locator("td")).to_have_text(
        [
            "track “EE Loyalty Order Completed”",
            "changed",
            "event",
            '"EE Loyalty Purchase"',
            '"EE Loyalty Order Completed"',
        ]
    )
    assert _stored(rule_set) == (0, True, "EE Loyalty Purchase")

    expect(event).to_have_value("EE Loyalty Order Completed")  # the preview kept the edit in the form
    form.locator('[name="_save"]').click()
    expect(page.locator("ul.messagelist")).to_contain_text("Version 1:")
    assert _stored(rule_set) == (1, False, "EE Loyalty Order Completed")

    page.get_by_role("link", name="All rules", exact=True).click()
    expect(purchase_row.locator("td").last).to_have_text(EDITED_MESSAGES)
    page.once("dialog", lambda dialog: dialog.accept())  # "The kind's default rules will apply again."
    page.get_by_role("button", name="Reset to defaults").click()

    # The defaults apply again, as version 2; version 1 stays in the history, one click from coming back.
    expect(page.locator("ul.messagelist")).to_contain_text("Version 2:")
    expect(purchase_row.locator("td").last).to_have_text(DEFAULT_MESSAGES)
    assert _stored(rule_set) == (2, True, "EE Loyalty Purchase")
    page.get_by_role("button", name="Restore version 1").click()

    expect(page.locator("ul.messagelist")).to_contain_text("Version 3:")
    expect(purchase_row.locator("td").last).to_have_text(EDITED_MESSAGES)
    assert _stored(rule_set) == (3, False, "EE Loyalty Order Completed")
