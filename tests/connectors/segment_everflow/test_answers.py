"""Sending to Everflow's API and reading its answers, at the edges of each rule."""

import pytest

from connectors.kinds.base import OutcomeKind
from connectors.kinds.segment_everflow import KIND
from connectors.kinds.segment_everflow.samples import WEB_ORDER_COMPLETED
from tests.connectors.segment_everflow.support import bare, config_with, translate


def _rejection():
    [request] = translate(bare("Order Refunded", transaction_id="abc")).requests
    return request


def _postback():
    [request] = translate(WEB_ORDER_COMPLETED).requests
    return request


def _reason(outcome):
    return None if outcome is None else (outcome.kind, outcome.reason)


@pytest.mark.parametrize(
    ("api_base_url", "url"),
    [
        ("https://api-eu.eflow.team/", "https://api-eu.eflow.team/v1/networks/reporting/conversions/abc"),
        ("https://api-eu.eflow.team//", "https://api-eu.eflow.team/v1/networks/reporting/conversions/abc"),
        # Only slashes are trimmed: a base ending in another character keeps it.
        ("https://gateway.example.com/EFX/", "https://gateway.example.com/EFX/v1/networks/reporting/conversions/abc"),
    ],
)
def test_the_rejection_is_sent_under_the_api_base_without_its_trailing_slashes(api_base_url, url):
    config = config_with({"api_base_url": api_base_url})

    [request] = translate(bare("Order Refunded", transaction_id="abc"), config).requests

    assert request.url == url


def test_a_rejection_sent_after_the_api_key_was_removed_carries_an_empty_key():
    # The key was there when the refund was built; without it now, the header is sent empty (not
    # a made-up key), and Everflow's 401 is read as a refused key.
    prepared = KIND.prepare(_rejection(), config_with(secrets={}))

    assert prepared.headers == {"Content-Type": "application/json", "Accept": "application/json", "X-Eflow-API-Key": ""}


def test_what_everflow_said_about_a_refused_rejection_is_kept_to_300_characters():
    body = b'{"error":"' + b"e" * 400 + b'"}'

    outcome = KIND.interpret(_rejection(), 400, {}, body)

    assert _reason(outcome) == (
        OutcomeKind.TERMINAL,
        "Everflow refused to reject the conversion (HTTP 400). Everflow said: " + "e" * 300,
    )


@pytest.mark.parametrize(
    ("status", "body"),
    [
        # 500 is a server error, retried by the pipeline's rules, not a refusal.
        (500, b'{"error":"internal"}'),
        # 300 is not a success: an unconfirmed answer is only refused for 2xx.
        (300, b'{"result":false}'),
    ],
)
def test_a_rejection_answer_outside_4xx_and_2xx_is_left_to_the_generic_rules(status, body):
    assert KIND.interpret(_rejection(), status, {}, body) is None


def test_a_postback_answered_300_with_an_error_code_is_left_to_the_generic_rules():
    assert KIND.interpret(_postback(), 300, {}, b'{"code":8,"error":"Duplicate conversion"}') is None


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        # Without Everflow's words, the reason ends with the code's meaning.
        (
            b'{"code":8}',
            "Everflow refused the conversion, error 8: duplicate: this click already has this conversion (turn on "
            '"Allow Duplicate Conversions" on the offer if repeats are expected).',
        ),
        (b'{"code":13,"error":""}', "Everflow refused the conversion, error 13: the click is not valid (unknown, or "
         "older than about 90 days)."),
        # A code that is not a number has no meaning in Everflow's table: only Everflow's words are given.
        (b'{"code":"E_DUP","error":"Duplicate"}', "Everflow refused the conversion, error E_DUP: (Duplicate)."),
        (b'{"code":"E_DUP"}', "Everflow refused the conversion, error E_DUP."),
    ],
)
def test_a_refused_postback_gives_the_codes_meaning_and_everflows_words_when_there_are_some(body, reason):
    outcome = KIND.interpret(_postback(), 400, {}, body)

    assert _reason(outcome) == (OutcomeKind.TERMINAL, reason)
