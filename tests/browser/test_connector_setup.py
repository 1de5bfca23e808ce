"""Setting up an AIR connector and issuing its tokens, as Integration staff do it in the console."""

import pytest
from playwright.sync_api import expect

from connectors.models import AuthToken, Connector
from connectors.tokens import token_hash
from core.groups import INTEGRATION_STAFF
from tests.browser.conftest import log_in, staff_user
from tests.connectors.factories import ClientFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Quiet-harbour-lantern-42"


def _issue_token(page, *, link: str, label: str) -> str:
    """Issue a token from the connector's page; return the token the page shows."""
    page.get_by_role("link", name=link).click()
    page.get_by_label("Label (who the token is for):").fill(label)
    page.get_by_role("button", name="Issue token").click()
    expect(page.get_by_text("Copy this token now. It will not be shown again")).to_be_visible()
    return page.locator("#issued-token").input_value()


def test_staff_add_an_air_connector_and_issue_its_inbound_and_outbound_tokens(page):
    ClientFactory(name="Harbour Stores", slug="harbour-stores")
    staff_user(username="ines", group=INTEGRATION_STAFF, password=PASSWORD)
    log_in(page, username="ines", password=PASSWORD)

    page.get_by_role("link", name="Connectors", exact=True).click()
    page.get_by_role("link", name="Add connector").click()
    page.get_by_role("link", name="Eagle Eye AIR ⇄ Segment").click()
    page.get_by_label("Client:", exact=True).select_option(label="Harbour Stores")
    page.get_by_label("Name:", exact=True).fill("Harbour AIR")
    page.get_by_label("AIR client id:", exact=True).fill("harbour-client")
    page.get_by_label("AIR client secret:", exact=True).fill("harbour-air-secret")
    page.get_by_label("AIR wallet domain URL:", exact=True).fill("https://wallet.sandbox.uk.eagleeye.com")
    page.get_by_label("Segment write key:", exact=True).fill("harbour-write-key")
    page.get_by_label("Currency:", exact=True).fill("GBP")
    page.get_by_role("button", name="Save", exact=True).click()

    connector = Connector.objects.get(name="Harbour AIR")
    assert (connector.client.name, connector.kind) == ("Harbour Stores", "air_segment")
    assert connector.settings["air_wallet_url"] == "https://wallet.sandbox.uk.eagleeye.com"
    page.get_by_role("link", name="Harbour AIR", exact=True).click()

    inbound = _issue_token(page, link="Issue inbound token", label="Segment destination")
    page.reload()

    # The reload shows the token no more (and issues none): the connector's page says why instead.
    expect(page.locator("#issued-token")).to_have_count(0)
    expect(page.get_by_text("An issued token is shown only once and is not kept")).to_be_visible()
    assert page.url.endswith(f"/admin/connectors/connector/{connector.pk}/change/")
    assert inbound not in page.content()

    outbound = _issue_token(page, link="Issue outbound token", label="AIR event subscription")
    page.reload()
    expect(page.locator("#issued-token")).to_have_count(0)

    # Each token shown is the one stored (as its hash only), for its direction; nothing issued twice.
    tokens = AuthToken.objects.filter(connector=connector).order_by("created_at")
    assert [(t.direction, t.label, t.token_hash) for t in tokens] == [
        ("in", "Segment destination", token_hash(inbound)),
        ("out", "AIR event subscription", token_hash(outbound)),
    ]
    assert inbound.startswith("eec_in_")
    assert outbound.startswith("eec_out_")
