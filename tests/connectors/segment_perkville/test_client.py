"""What is sent to Perkville, byte for byte, and what Perkville's refusals say to support."""

import json

import pytest

from connectors.kinds.base import Outcome, OutcomeKind
from connectors.kinds.segment_perkville import KIND
from connectors.kinds.segment_perkville.samples import CHECKED_IN, ORDER_COMPLETED
from tests.connectors.segment_perkville.support import CONFIG, URL, translate

REPEAT = Outcome(
    OutcomeKind.SUCCEEDED,
    "Perkville already has this transaction (segment-111-order-o283h08fh2390f923uofu23): it was posted "
    "before, so nothing is posted twice.",
)


def _refusal(status: int, body: bytes) -> Outcome | None:
    [request] = translate(ORDER_COMPLETED).requests
    return KIND.interpret(request, status, {}, body)


def test_prepare_posts_the_built_transaction_to_its_url_as_compact_json():
    [request] = translate(CHECKED_IN).requests

    prepared = KIND.prepare(request, CONFIG)

    assert (prepared.method, prepared.url) == ("POST", URL)
    assert prepared.body == (
        b'{"business":42,"location":7,"perk":222,"quantity":1,"email":"sam@example.com","send_email":true,'
        b'"trans_source_id":"segment-222-ajs-next-9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"}'
    )


# Perkville publishes no error shape: its refusal is quoted from the first of these keys that holds
# text (an OAuth error, a Django REST framework "detail", a plain message, an OAuth description).
@pytest.mark.parametrize(
    ("answer", "said"),
    [
        ({"error": "invalid_token", "error_description": "The access token expired."}, "invalid_token"),
        ({"detail": "Not found."}, "Not found."),
        ({"message": "Perk 111 is not active."}, "Perk 111 is not active."),
        ({"error_description": "The access token expired."}, "The access token expired."),
        ({"error": {"code": 7}, "message": "Perk 111 is not active."}, "Perk 111 is not active."),
    ],
)
def test_a_refusal_quotes_the_first_text_of_error_detail_message_or_error_description(answer, said):
    assert _refusal(400, json.dumps(answer).encode()) == Outcome(
        OutcomeKind.TERMINAL, f"Perkville refused the transaction (HTTP 400). Perkville said: {said}"
    )


def test_a_refusal_in_another_json_shape_is_quoted_as_compact_json():
    # Field errors as Django REST framework gives them: every field kept, no spaces added.
    answer = {"quantity": ["A valid number is required."], "email": ["Enter a valid email address."]}

    assert _refusal(400, json.dumps(answer).encode()) == Outcome(
        OutcomeKind.TERMINAL,
        "Perkville refused the transaction (HTTP 400). Perkville said: "
        '{"quantity":["A valid number is required."],"email":["Enter a valid email address."]}',
    )


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (b"x" * 400, "x" * 300),
        (json.dumps({"error": "y" * 400}).encode(), "y" * 300),
        (json.dumps({"quantity": ["z" * 400]}).encode(), ('{"quantity":["' + "z" * 400)[:300]),
    ],
)
def test_what_perkville_said_is_quoted_to_300_characters(body, said):
    assert _refusal(400, body) == Outcome(
        OutcomeKind.TERMINAL, f"Perkville refused the transaction (HTTP 400). Perkville said: {said}"
    )


def test_an_answer_that_is_not_utf8_is_quoted_with_its_bad_bytes_replaced():
    # 0xFF is never valid UTF-8: the reason shows U+FFFD in its place rather than the delivery failing.
    assert _refusal(400, b"Bad \xff request") == Outcome(
        OutcomeKind.TERMINAL, "Perkville refused the transaction (HTTP 400). Perkville said: Bad \ufffd request"
    )


# Perkville does not publish how it refuses a trans_source_id it holds (the sandbox answers with
# Django's unique-field message, "... already exists."): an answer naming trans_source_id with any
# one of these words is taken for a repeat.
@pytest.mark.parametrize(
    "answer",
    [
        {"trans_source_id": ["A transaction with this id exists."]},
        {"error": "Duplicate trans_source_id."},
        {"trans_source_id": ["This field must be unique."]},  # Django REST framework's UniqueValidator
        {"trans_source_id": ["This id has already been used."]},
    ],
)
def test_a_trans_source_id_refused_as_existing_duplicate_unique_or_already_used_is_a_repeat(answer):
    assert _refusal(400, json.dumps(answer).encode()) == REPEAT


def test_a_trans_source_id_refused_for_another_reason_is_final():
    answer = {"trans_source_id": ["Ensure this field has no more than 100 characters."]}

    assert _refusal(400, json.dumps(answer).encode()) == Outcome(
        OutcomeKind.TERMINAL,
        "Perkville refused the transaction (HTTP 400). Perkville said: "
        '{"trans_source_id":["Ensure this field has no more than 100 characters."]}',
    )
