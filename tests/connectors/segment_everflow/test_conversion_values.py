"""The postback's values as Everflow reads them, and the refusals and notes that name Segment fields."""

import copy
import json

import pytest

from connectors.kinds.segment_everflow.samples import MOBILE_PURCHASE
from tests.connectors.segment_everflow.support import bare, query_of, translate


def _query(message):
    [request] = translate(message).requests
    return query_of(request.url)


@pytest.mark.parametrize(
    ("total", "amount"),
    [
        ("1", "1"),
        (1.0, "1"),
        ("1.50", "1.5"),
        ("0.00", "0"),
        # A zero is sent as 0, never with a sign Everflow could read as a negative amount.
        ("-0", "0"),
        (-0.0, "0"),
    ],
)
def test_an_amount_is_sent_as_plain_decimal_text(total, amount):
    assert _query(bare(transaction_id="t", total=total))["amount"] == amount


def test_true_and_false_are_sent_as_words_in_the_adv_parameters():
    query = _query(bare(transaction_id="t", adv1=True, adv2=False))

    assert query == {"nid": "1", "transaction_id": "t", "adv1": "true", "adv2": "false"}


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        # A value written in 60 characters is shown whole.
        (["x" * 56], "['" + "x" * 56 + "']"),
        # One of 61 is cut to its first 57 and "...", so the failure stays readable.
        (["x" * 57], "['" + "x" * 55 + "..."),
    ],
)
def test_a_refused_value_is_shown_in_at_most_60_characters(value, shown):
    translation = translate(bare(transaction_id="t", adv4=value))

    assert translation.failed == (
        f"properties.adv4 ({shown}) must be a string, a number or true/false for Everflow's adv4."
    )
    assert translation.requests == []


@pytest.mark.parametrize(
    ("products", "failure"),
    [
        (
            [{"sku": "S", "price": "ten"}],
            "properties.products[0].price ('ten') must be an amount of 0 or more (a number, or text such as 12.34 "
            "or 12,34) for Everflow's order items.",
        ),
        (
            [{"sku": "A"}, {"sku": "B", "quantity": 1, "price": -2}],
            "properties.products[1].price (-2) must be an amount of 0 or more (a number, or text such as 12.34 "
            "or 12,34) for Everflow's order items.",
        ),
    ],
)
def test_a_product_price_everflow_would_misread_fails_naming_the_product(products, failure):
    translation = translate(bare(transaction_id="t", products=products))

    assert translation.failed == failure
    assert translation.requests == []


def test_a_product_price_without_a_quantity_is_the_price_of_one():
    query = _query(bare(transaction_id="t", orderId="o-1", products=[{"sku": "S", "price": 4.5}]))

    # No quantity: the line price is the product's price, 4.5, and no qty is sent.
    assert json.loads(query["order"]) == {"oid": "o-1", "items": [{"ps": "S", "p": 4.5}]}


@pytest.mark.parametrize(
    ("referrer", "properties", "failure"),
    [
        (
            {"type": "everflow", "id": True},
            {"transaction_id": "p-1"},
            "context.referrer.id (True) must be a string for Everflow's transaction_id.",
        ),
        (
            {},
            {"transaction_id": ["a"]},
            "properties.transaction_id (['a']) must be a string for Everflow's transaction_id.",
        ),
    ],
)
def test_a_click_id_that_is_not_text_fails_naming_where_it_was_read(referrer, properties, failure):
    message = bare(**properties)
    message["context"]["referrer"] = referrer

    translation = translate(message)

    assert translation.failed == failure
    assert translation.requests == []


def test_a_mobile_app_namespace_that_is_not_text_fails_naming_it():
    message = copy.deepcopy(MOBILE_PURCHASE)
    message["context"]["app"]["namespace"] = 123

    translation = translate(message)

    assert translation.failed == "context.app.namespace (123) must be a string for Everflow's app_id."
    assert translation.requests == []


def test_a_mobile_order_names_both_the_product_names_and_the_mobile_fields_left_out():
    message = bare("Purchase", transaction_id="t", products=[{"sku": "S", "name": "Gift wrap"}])
    message["context"] = {
        "ip": "198.51.100.23",
        "app": {"namespace": "com.example.shop", "name": "Example Shop"},
        "device": {"type": "android"},
    }

    [request] = translate(message).requests

    assert request.notes == (
        "Not sent (an Everflow postback has no parameter for them): properties.products[0].name, context.app.name."
    )


def test_a_cut_transaction_id_and_the_fields_left_out_are_two_sentences_of_one_note():
    long_id = "h" * 33 + "x" * 100 + "t" * 297

    [request] = translate(bare(transaction_id=long_id, products=[{"sku": "S", "name": "Gift wrap"}])).requests

    assert request.notes == (
        "properties.transaction_id has 430 characters: sent as its first 33 and last 297, as Everflow's SDK "
        "sends a transaction id over 332. Not sent (an Everflow postback has no parameter for them): "
        "properties.products[0].name."
    )


@pytest.mark.parametrize(("affiliate_id", "affid"), [(7, "7"), ("7", "7"), (7.0, "7"), ("0", "0")])
def test_an_affiliate_id_is_sent_as_whole_number_text(affiliate_id, affid):
    assert _query(bare(transaction_id="t", affiliateId=affiliate_id))["affid"] == affid


@pytest.mark.parametrize("affiliate_id", [-7, "-7"])
def test_a_negative_affiliate_id_fails_naming_it(affiliate_id):
    # Everflow's affiliate ids are whole numbers of 0 or more (the sandbox refuses "-7" as affid),
    # so the failure names the Segment field rather than leaving Everflow to refuse the postback.
    translation = translate(bare(transaction_id="t", affiliateId=affiliate_id))

    assert translation.failed == (
        f"properties.affiliateId ({affiliate_id!r}) must be a whole number for Everflow's affid."
    )
    assert translation.requests == []
