"""The transaction request a Segment event becomes: its URL, settings left unset, notes, audiences
recorded, and amounts that are not a finite number."""

import copy

import pytest

from connectors.kinds.base import ConnectorConfig
from connectors.kinds.segment_perkville.samples import AUDIENCE_ENTERED, CHECKED_IN
from tests.connectors.segment_perkville.support import SECRETS, SETTINGS, config_make, order, translate


@pytest.mark.parametrize(
    ("base", "url"),
    [
        ("https://api.perkville.com", "https://api.perkville.com/v2/transactions/"),
        ("https://api.perkville.com/", "https://api.perkville.com/v2/transactions/"),
        ("https://api.perkville.com//", "https://api.perkville.com/v2/transactions/"),
        # Only slashes are trimmed: a base path ending in a letter (here an X) keeps it.
        ("https://proxy.example/PERKVILLE-BOX/", "https://proxy.example/PERKVILLE-BOX/v2/transactions/"),
    ],
)
def test_transactions_are_posted_under_the_base_url_whatever_its_trailing_slashes(base, url):
    [request] = translate(CHECKED_IN, config_make(api_base_url=base)).requests

    assert request.url == url


def _config_without(key: str) -> ConnectorConfig:
    """A connector whose settings lack ``key``, as one stored before that setting existed."""
    settings = {name: value for name, value in SETTINGS.items() if name != key}
    return ConnectorConfig(connector_id="x", settings=settings, secrets=SECRETS)


def test_without_a_send_email_setting_perkville_sends_no_email():
    [request] = translate(CHECKED_IN, _config_without("send_email")).requests

    assert request.body["send_email"] is False


def test_without_a_refund_events_setting_order_refunded_still_removes_points():
    [request] = translate(order("Order Refunded"), _config_without("refund_events")).requests

    # The sample's revenue, 9.99, removed.
    assert request.body["quantity"] == -9.99


def test_an_event_without_order_and_an_audience_entry_carry_no_note():
    config = config_make(audience_perk_map={"order_completed_last_30days": "333"})

    [checked_in] = translate(CHECKED_IN).requests
    [entered] = translate(AUDIENCE_ENTERED, config).requests

    assert (checked_in.body["quantity"], checked_in.notes) == (1, "")
    assert (entered.body["quantity"], entered.notes) == (1, "")


def test_every_audience_of_an_identify_is_recorded_in_the_ignore_reason():
    message = {
        "type": "identify",
        "userId": "u1",
        "traits": {"email": "sam@example.com", "vip_members": True, "lapsed_members": False},
    }

    translation = translate(message)

    assert translation.ignored == (
        "Audience recorded (vip_members=true, lapsed_members=false); no audience perk is mapped for it."
    )
    assert translation.requests == []


def test_leaving_an_unmapped_audience_is_recorded_as_no_entry_not_as_a_missing_perk():
    # The connector maps no audience; the customer left one, so no perk was missed.
    message = copy.deepcopy(AUDIENCE_ENTERED)
    message["traits"]["order_completed_last_30days"] = False

    translation = translate(message)

    assert translation.ignored == (
        "Audience recorded (order_completed_last_30days=false); only an entry into a mapped audience earns a perk."
    )


def test_an_amount_that_is_not_a_finite_number_is_passed_over():
    # "Infinity" and "NaN" parse as decimals but count no points: the order's total, 5, is its quantity.
    message = order(revenue="Infinity", value="NaN", total=5)

    [request] = translate(message).requests

    assert (request.body["quantity"], request.notes) == (
        5,
        "Not a number, so not counted: properties.revenue ('Infinity'), properties.value ('NaN').",
    )


def test_an_order_of_zero_revenue_is_a_transaction_of_zero_not_a_refusal():
    # Only an amount below 0 is refused on a sale; 0 is the order's revenue, as the spec's rule reads.
    [request] = translate(order(revenue=0)).requests

    assert (request.body["quantity"], request.notes) == (0, "")
