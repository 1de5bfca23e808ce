"""The AIR notification envelope, identity selection, money and dates."""

import copy
from datetime import UTC, datetime

import pytest

from connectors.kinds.air_segment import KIND
from connectors.kinds.base import Direction, PayloadInvalid
from tests.connectors.air_segment.support import config_make, sample


def parse(payload, **settings):
    [event] = KIND.parse(Direction.OUT, payload, config_make(**settings))
    return event


def test_the_event_is_keyed_by_its_notification_and_dated_in_utc():
    payload = sample("POSCONNECT.WALLET.SETTLE")

    event = parse(payload)

    assert event.event_type == "POSCONNECT.WALLET.SETTLE"
    event_id, digest = event.source_event_id.split(":")
    assert event_id == payload["headers"]["eesEventId"] == event.context["event_id"]
    assert len(digest) == 32 and int(digest, 16) >= 0
    assert event.identity == "CUST-1001"
    assert event.occurred_at == datetime(2025, 3, 4, 12, 30, 1, 250000, tzinfo=UTC)
    assert event.context["occurred_at"] == "2025-03-04T12:30:01.250Z"
    assert event.context["wallet_id"] == "900000001"
    assert event.context["identities"] == {
        "CUSTOMER_ID": "CUST-1001",
        "CARD": "6330000000001001",
        "MOBILE": "+447700900123",
    }


def test_the_user_id_is_the_identity_of_the_connectors_type():
    event = parse(sample("POSCONNECT.WALLET.SETTLE"), identity_type="CARD")

    assert (event.context["user_id"], event.identity) == ("6330000000001001", "6330000000001001")


def test_without_enrichment_the_identity_comes_from_the_wallet_identity_operations():
    payload = copy.deepcopy(sample("SERVICE.WALLET.CREATE"))
    del payload["enrichmentData"]

    event = parse(payload, identity_type="MOBILE")

    assert event.context["user_id"] == "+447700900123"


def test_without_any_identity_the_user_id_is_none():
    payload = copy.deepcopy(sample("TIER.MEMBERSHIP.CREATE"))
    payload["enrichmentData"] = {}

    event = parse(payload)

    assert (event.context["user_id"], event.context["identities"], event.identity) == (None, {}, "")


def test_gbp_minor_units_are_divided_by_one_hundred():
    event = parse(sample("POSCONNECT.WALLET.SETTLE"), currency="GBP")

    transaction = event.context["transaction"]
    assert (transaction["total"], transaction["discounts"], transaction["products"][2]["price"]) == (
        15.49,
        2.75,
        8.99,
    )
    assert event.context["coupons_redeemed"][0]["value"] == 2.0


def test_jpy_has_no_minor_unit_so_amounts_are_kept():
    event = parse(sample("POSCONNECT.WALLET.SETTLE"), currency="JPY")

    transaction = event.context["transaction"]
    assert (transaction["total"], transaction["discounts"], transaction["products"][2]["price"]) == (
        1549,
        275,
        899,
    )
    assert event.context["tier_balances_spend"] == 1549


def test_amounts_already_in_currency_units_are_kept():
    event = parse(sample("POSCONNECT.WALLET.SETTLE"), currency="GBP", amounts_in_minor_units=False)

    assert event.context["transaction"]["total"] == 1549


def test_fulfil_without_a_basket_is_initial_with_finalise_final_otherwise_middle():
    stages = {
        name: parse(sample(f"POSCONNECT.WALLET.FULFIL ({name})")).context["fulfilment_stage"]
        for name in ("initial", "middle", "final")
    }

    assert stages == {"initial": "initial", "middle": "middle", "final": "final"}
    assert parse(sample("POSCONNECT.WALLET.SETTLE")).context["fulfilment_stage"] is None


def test_a_double_encoded_request_body_is_read():
    payload = copy.deepcopy(sample("POSCONNECT.WALLET.FULFIL (final)"))
    payload["request"]["body"] = '"' + payload["request"]["body"].replace('"', '\\"') + '"'

    assert parse(payload).context["fulfilment_stage"] == "final"


def test_a_tier_move_keeps_the_previous_tier():
    event = parse(sample("TIER.MEMBERSHIP.MOVE"))

    assert (event.context["tier_previous_id"], event.context["tier_id"]) == ("12", "13")


@pytest.mark.parametrize(
    ("mutate", "errors"),
    [
        (lambda p: p["headers"].pop("eventName"), [("headers.eventName", "Required, a non-empty string.")]),
        (
            lambda p: p["headers"].update(eesEventId="", eventName=" "),
            [
                ("headers.eventName", "Required, a non-empty string."),
                ("headers.eesEventId", "Required, a non-empty string."),
            ],
        ),
        (
            lambda p: p["headers"].update(eventDate="yesterday"),
            [("headers.eventDate", "Must be a date and time such as 2025-01-29T19:40:48.965235.")],
        ),
        (lambda p: p.update(atomicOperations={}), [("atomicOperations", "Must be a list.")]),
        (lambda p: p.pop("headers"), [("headers", "Required: the AIR notification headers.")]),
    ],
)
def test_an_unusable_envelope_is_refused_naming_every_bad_field(mutate, errors):
    payload = copy.deepcopy(sample("TIER.MEMBERSHIP.CREATE"))
    mutate(payload)

    with pytest.raises(PayloadInvalid) as raised:
        parse(payload)

    assert [(error.path, error.message) for error in raised.value.errors] == errors


def test_a_body_that_is_not_an_object_is_refused():
    with pytest.raises(PayloadInvalid) as raised:
        parse([1, 2])

    assert [(error.path, error.message) for error in raised.value.errors] == [
        ("", "An AIR notification must be a JSON object.")
    ]


def test_a_zoneless_event_date_is_utc_whatever_the_servers_own_time_zone(settings):
    # AIR's eventDate carries no zone and is UTC (parse_out's docstring). New York is UTC-5 in
    # March: reading the date in the process's own zone would put the event five hours late.
    settings.TIME_ZONE = "America/New_York"
    payload = sample("POSCONNECT.WALLET.SETTLE")  # eventDate "2025-03-04T12:30:01.250000"

    event = parse(payload)

    assert event.occurred_at == datetime(2025, 3, 4, 12, 30, 1, 250000, tzinfo=UTC)
    assert event.context["occurred_at"] == "2025-03-04T12:30:01.250Z"
