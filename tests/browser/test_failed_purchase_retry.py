"""Support answer "what happened to this customer's purchase?" from the event list and retry the
failed delivery from the event's page."""

import copy
import uuid

import pytest
from playwright.sync_api import expect

from connectors.kinds.base import Direction
from connectors.kinds.registry import kind_get
from core.groups import SUPPORT
from events.intake.receive import events_receive
from events.models import Delivery, DeliveryAttempt, Event
from tests.browser.conftest import log_in, staff_user
from tests.connectors.factories import ConnectorFactory
from tests.events.factories import DeliveryAttemptFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Amber-kettle-orchard-73"
CUSTOMER = "CUST-4711"


def _purchase(connector, *, customer_id: str) -> Event:
    """AIR's SETTLE sample for ``customer_id``, received as AIR would send it."""
    sample = copy.deepcopy(kind_get("air_segment").samples[Direction.OUT]["POSCONNECT.WALLET.SETTLE"])
    sample["headers"]["eesEventId"] = str(uuid.uuid4())
    [wallet] = sample["enrichmentData"].values()
    for identity in wallet["identities"]:
        if identity["type"] == "CUSTOMER_ID":
            identity["value"] = customer_id
    [received] = events_receive(connector=connector, direction="out", payload=sample)
    return received.event


def _failed(delivery: Delivery) -> None:
    """As the worker leaves a delivery Segment refused for good."""
    DeliveryAttemptFactory(
        delivery=delivery, number=1, response_status=400, outcome=DeliveryAttempt.Outcome.TERMINAL
    )
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Delivery.Status.FAILED, attempts=1, last_status_code=400, last_error="HTTP 400", next_attempt_at=None
    )


def test_support_find_a_customer_s_failed_purchase_and_retry_it_from_its_page(page, hints):
    connector = ConnectorFactory(name="Harbour AIR")
    purchase = _purchase(connector, customer_id=CUSTOMER)
    [delivery] = purchase.deliveries.all()
    _failed(delivery)
    _purchase(connector, customer_id="CUST-9000")  # another customer's, still waiting to be sent
    staff_user(username="sam", group=SUPPORT, password=PASSWORD)
    hints.clear()
    log_in(page, username="sam", password=PASSWORD)

    page.get_by_role("link", name="Events", exact=True).first.click()
    page.locator("#searchbar").fill(CUSTOMER)
    page.get_by_role("button", name="Search").click()

    # Only this customer's purchase is listed, with its delivery's outcome rather than "Translated".
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.locator("td.field-identity")).to_have_text(CUSTOMER)
    expect(rows.locator("td.field-outcome")).to_have_text("Failed")
    rows.get_by_role("link", name="POSCONNECT.WALLET.SETTLE").click()
    delivery_line = page.locator("p", has=page.get_by_role("link", name=f"Delivery {delivery.pk}", exact=True))
    expect(delivery_line).to_contain_text(f"Delivery {delivery.pk} to segment · Failed · 1 attempt · last status 400")
    page.get_by_role("link", name="Retry its deliveries now").click()
    expect(page.get_by_text("Its failed, retrying, held and waiting deliveries are sent now")).to_be_visible()
    page.get_by_role("button", name="Yes, retry its deliveries now").click()

    # Back on the event's page, which says what was done and shows the delivery waiting to be sent.
    assert page.url.endswith(f"/admin/events/event/{purchase.pk}/change/")
    expect(page.locator("ul.messagelist")).to_have_text("Retry now: 1 of 1 deliveries queued.")
    expect(page.locator("div.field-outcome")).to_contain_text("Sending")
    expect(delivery_line).to_contain_text(f"Delivery {delivery.pk} to segment · Pending · 1 attempt")
    delivery.refresh_from_db()
    assert (delivery.status, delivery.next_trigger, delivery.next_triggered_by.username) == (
        Delivery.Status.PENDING, DeliveryAttempt.Trigger.MANUAL, "sam"
    )
    # A worker is told at once rather than at the next sweep.
    assert hints == [("events.deliveries_attempt", [[delivery.pk]])]
