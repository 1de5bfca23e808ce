"""The postback's URL: the tracking domain it starts with, and the length it is kept within."""

import copy

import pytest

from connectors.kinds.segment_everflow import KIND
from connectors.kinds.segment_everflow.samples import WEB_ORDER_COMPLETED
from tests.connectors.segment_everflow.support import BASE, bare, config_with, query_of, translate


@pytest.fixture
def small_url_limit(monkeypatch):
    """A tracking domain that accepts only 500-character request lines."""
    monkeypatch.setattr("connectors.kinds.segment_everflow.build.MAX_URL_CHARS", 500)


@pytest.mark.parametrize(
    ("tracking_domain", "url"),
    [
        ("https://track.example.com/", "https://track.example.com/?nid=1&transaction_id=t"),
        ("https://track.example.com//", "https://track.example.com/?nid=1&transaction_id=t"),
        # Only slashes are trimmed: a path ending in another character keeps it.
        ("https://clicks.example.com/EFX/", "https://clicks.example.com/EFX/?nid=1&transaction_id=t"),
    ],
)
def test_the_postback_is_the_tracking_domain_without_its_trailing_slashes_then_the_query(tracking_domain, url):
    config = config_with({"tracking_domain": tracking_domain})

    [request] = translate(bare(transaction_id="t"), config).requests

    assert request.url == url


def _order_of_one_sku(transaction_id):
    return bare(transaction_id=transaction_id, products=[{"sku": "S", "quantity": 1}])


def test_a_postback_of_exactly_the_limit_with_its_token_is_sent_whole(small_url_limit):
    # The stored URL is BASE (40) + "nid=1&transaction_id=" (21) + 246 + "&" + the order (72) = 380;
    # the token adds "&verification_token=" and 100 characters (120): 500, exactly the limit.
    config = config_with(secrets={"verification_token": "t" * 100})

    [request] = translate(_order_of_one_sku("i" * 246), config).requests

    assert query_of(request.url)["order"] == '{"items":[{"ps":"S","qty":1}]}'
    assert len(request.url) == 380
    assert len(KIND.prepare(request, config).url) == 500
    assert request.notes == ""


def test_a_postback_one_character_over_the_limit_with_its_token_leaves_out_the_order(small_url_limit):
    # One more transaction id character than above: 501 with the token, so the order detail goes
    # and the URL is BASE (40) + "nid=1&transaction_id=" (21) + 247 = 308, 428 with the token.
    config = config_with(secrets={"verification_token": "t" * 100})

    [request] = translate(_order_of_one_sku("i" * 247), config).requests

    assert request.url == BASE + "nid=1&transaction_id=" + "i" * 247
    assert len(KIND.prepare(request, config).url) == 428
    assert request.notes == "Not sent, to keep the postback within 500 characters: order."


def test_the_order_and_a_long_user_agent_left_out_are_both_named_in_the_order_they_went(small_url_limit):
    message = copy.deepcopy(WEB_ORDER_COMPLETED)
    message["context"]["userAgent"] = "Mozilla/5.0 " + "x" * 300

    [request] = translate(message).requests

    assert request.url == BASE + (
        "nid=1&transaction_id=9d4c2b0f1e7a4c3b8a6d5e4f3a2b1c0d&user_ip=203.0.113.7&email=pat%40example.com"
        "&adv1=newsletter&adv3=2&coupon_code=SPRING10&order_id=o283h08fh2390f923uofu23&amount=27.5"
    )
    assert request.notes == (
        "Not sent, to keep the postback within 500 characters: order, user_agent. Not sent (an Everflow postback "
        "has no parameter for them): properties.products[0].name, properties.products[1].name."
    )


def test_a_postback_too_long_even_without_its_optional_parameters_fails_saying_what_to_shorten(small_url_limit):
    message = copy.deepcopy(WEB_ORDER_COMPLETED)
    message["properties"]["adv1"] = "n" * 400

    translation = translate(message)

    # Without order and user_agent the URL is 616 characters; with the 40 kept for a token, 656.
    assert translation.failed == (
        "The postback would be 656 characters, over the 500 the delivery log keeps, even without its optional "
        "parameters: shorten the long properties (email, coupon, adv1 to adv5) or the tracking domain."
    )
    assert translation.requests == []
