"""AIR request signing and what AIR's answers mean."""

import json

import pytest

from connectors.kinds.air_segment import KIND
from connectors.kinds.air_segment.auth import air_auth_hash
from connectors.kinds.base import OutboundRequest, Outcome, OutcomeKind
from tests.connectors.air_segment.support import config_make

TRIGGER = OutboundRequest(
    destination="air",
    method="POST",
    url="https://wallet.example.test/services/trigger",
    body={
        "identityValue": "CUST-1001",
        "walletTransaction": {"reference": "r-1"},
        "triggers": [{"reference": "A1"}],
    },
    idempotency_key="r-1",
)


def test_the_documented_air_hash_vector_for_a_get():
    assert (
        air_auth_hash(url="https://wallet.example.test/wallet/555555", body=b"", client_secret="0987654321")
        == "76e132ab2154bb7139258b65134ddaf74c12a4242ce136b87a7335292fddc068"
    )


def test_the_published_air_hash_vector_for_a_body():
    assert (
        air_auth_hash(
            url="https://eagleeye.com/some/path",
            body=b'{"some":"arbitrary","json":"data"}',
            client_secret="some-secret",
        )
        == "01ec08cfb3aa78bc8fcec38ed1d4298d3c44eb7b19647e817c30b7ff628bb180"
    )


def test_an_air_call_is_signed_over_the_exact_compact_bytes_sent():
    prepared = KIND.prepare(TRIGGER, config_make())

    expected_body = (
        b'{"identityValue":"CUST-1001","walletTransaction":{"reference":"r-1"},'
        b'"triggers":[{"reference":"A1"}]}'
    )
    assert (prepared.method, prepared.url, prepared.body) == (
        "POST",
        "https://wallet.example.test/services/trigger",
        expected_body,
    )
    assert prepared.headers == {
        "Content-Type": "application/json",
        "X-EES-AUTH-CLIENT-ID": "client-1",
        "X-EES-AUTH-HASH": air_auth_hash(url=TRIGGER.url, body=expected_body, client_secret="air-secret"),
    }


def test_a_segment_call_is_prepared_with_the_write_key_as_basic_auth():
    request = OutboundRequest("segment", "POST", "https://api.segment.io/v1/batch", {"batch": []}, "k")

    prepared = KIND.prepare(request, config_make())

    assert prepared.headers == {"Content-Type": "application/json", "Authorization": "Basic d2s6"}
    assert json.loads(prepared.body)["batch"] == []


def test_air_201_succeeds_keeping_the_wallet_transaction_points_and_coupons():
    body = {
        "walletTransactionId": "777",
        "walletId": "900000001",
        "reference": "r-1",
        "type": "BEHAVIOURAL_ACTION_POINTS",
        "status": "SETTLED",
        "accounts": [
            {"event": "REDEEM", "value": 250, "account": {"type": "BEHAVIOURAL_ACTION", "accountId": "1"}},
            {"event": "CREDIT", "value": 250, "account": {"type": "POINTS", "accountId": "2"}},
            {
                "event": "CREATE",
                "value": 0,
                "account": {"type": "ECOUPON", "accountId": "3", "campaignId": "9"},
            },
        ],
    }

    outcome = KIND.interpret(TRIGGER, 201, {}, json.dumps(body).encode())

    assert outcome == Outcome(
        OutcomeKind.SUCCEEDED,
        result={
            "wallet_transaction_id": "777",
            "wallet_id": "900000001",
            "reference": "r-1",
            "type": "BEHAVIOURAL_ACTION_POINTS",
            "status": "SETTLED",
            "points": 250,
            "coupons": [{"account_id": "3", "campaign_id": "9"}],
        },
    )


def test_air_201_with_a_body_that_is_not_json_still_succeeds():
    assert KIND.interpret(TRIGGER, 201, {}, b"created") == Outcome(OutcomeKind.SUCCEEDED, result={})


def test_air_404_means_the_identity_is_unknown():
    assert KIND.interpret(TRIGGER, 404, {}, b"") == Outcome(
        OutcomeKind.TERMINAL, reason="identity CUST-1001 not found in AIR"
    )


def test_air_401_means_the_credentials_are_wrong():
    assert KIND.interpret(TRIGGER, 401, {}, b"{}") == Outcome(
        OutcomeKind.TERMINAL, reason="AIR rejected the credentials (client id or hash)"
    )


def test_air_400_quotes_airs_message():
    body = json.dumps({"errorCode": "VE", "errorMessage": "Trigger reference A1 not found"}).encode()

    assert KIND.interpret(TRIGGER, 400, {}, body) == Outcome(
        OutcomeKind.TERMINAL, reason="AIR refused the request: Trigger reference A1 not found"
    )


def test_air_400_without_json_quotes_the_text():
    assert KIND.interpret(TRIGGER, 400, {}, b"Bad things") == Outcome(
        OutcomeKind.TERMINAL, reason="AIR refused the request: Bad things"
    )


def test_other_statuses_and_segment_answers_are_left_to_the_pipeline():
    segment = OutboundRequest("segment", "POST", "https://api.segment.io/v1/batch", {"batch": []}, "k")

    assert [KIND.interpret(TRIGGER, status, {}, b"") for status in (500, 503, 429, 408, 409)] == [None] * 5
    assert KIND.interpret(segment, 400, {}, b"") is None


def _air_error(status, code, message):
    return KIND.interpret(TRIGGER, status, {}, json.dumps({"errorCode": code, "errorMessage": message}).encode())


@pytest.mark.parametrize(
    ("status", "code", "message", "quoted"),
    [
        # The sandbox's answer.
        (400, "DUPLICATE_REFERENCE", "Wallet transaction reference 'r-1' already exists.", None),
        (409, "CONFLICT", "A wallet transaction with this reference already exists", None),
        (422, "E_DUPLICATE_REFERENCE", "", "E_DUPLICATE_REFERENCE"),  # no message: its code is quoted
        (400, "VE", "Duplicate walletTransaction.reference", None),
    ],
)
def test_air_refusing_a_reference_it_already_holds_is_the_earlier_success(status, code, message, quoted):
    outcome = _air_error(status, code, message)

    assert outcome == Outcome(
        OutcomeKind.SUCCEEDED,
        reason=f"AIR already holds wallet transaction r-1: an earlier attempt was processed "
        f"({status}: {quoted or message})",
        result={"already_processed": True, "reference": "r-1"},
    )


@pytest.mark.parametrize(
    "message",
    [
        "Trigger reference A1 already redeemed",  # about a behavioural action's own limit, not our reference
        "Wallet transaction reference does not exist",
        "Identity already exists",
    ],
)
def test_other_refusals_stay_final(message):
    assert _air_error(400, "VE", message) == Outcome(
        OutcomeKind.TERMINAL, reason=f"AIR refused the request: {message}"
    )


def test_a_bare_409_or_a_repeat_under_another_status_is_left_to_the_pipeline():
    assert _air_error(409, "CONFLICT", "Conflict") is None
    assert _air_error(500, "DUPLICATE_REFERENCE", "Wallet transaction reference already exists") is None


# AIR's own error body is {"errorCode", "errorMessage"} (connectors/sandbox/air.py); an answer in
# another shape ({"message": …} or {"error": …}, as a gateway in front of AIR may give) is read by
# the same keys, in this order, a blank one passed over. A code is quoted only when no key says more.
@pytest.mark.parametrize(
    ("answer", "quoted"),
    [
        ({"errorCode": "VE", "errorMessage": "Identity value is required"}, "Identity value is required"),
        ({"message": "Invalid request body"}, "Invalid request body"),
        ({"error": "Bad Request"}, "Bad Request"),
        ({"errorCode": "VE"}, "VE"),
        ({"errorMessage": " ", "message": "", "error": "Bad Request", "errorCode": "VE"}, "Bad Request"),
        ({"errorMessage": "First", "message": "Second", "error": "Third"}, "First"),
    ],
)
def test_air_400_quotes_the_first_message_its_answer_gives(answer, quoted):
    outcome = KIND.interpret(TRIGGER, 400, {}, json.dumps(answer).encode())

    assert outcome == Outcome(OutcomeKind.TERMINAL, reason=f"AIR refused the request: {quoted}")


def test_air_400_with_an_empty_body_says_no_reason_was_given():
    assert KIND.interpret(TRIGGER, 400, {}, b"") == Outcome(
        OutcomeKind.TERMINAL, reason="AIR refused the request: no reason given"
    )


def test_an_air_answer_that_is_not_utf8_is_quoted_with_its_bad_bytes_replaced():
    # 0xFF is never valid UTF-8: the reason shows U+FFFD in its place rather than the delivery failing.
    body = b"Bad \xff request"

    assert KIND.interpret(TRIGGER, 400, {}, body) == Outcome(
        OutcomeKind.TERMINAL, reason="AIR refused the request: Bad \ufffd request"
    )
    assert KIND.interpret(TRIGGER, 409, {}, body) is None


@pytest.mark.parametrize("key", ["errorMessage", "message", "error"])
def test_a_repeated_reference_is_recognised_in_any_message_key_without_a_code(key):
    body = json.dumps({key: "Wallet transaction reference 'r-1' already exists."}).encode()

    outcome = KIND.interpret(TRIGGER, 409, {}, body)

    assert outcome == Outcome(
        OutcomeKind.SUCCEEDED,
        reason="AIR already holds wallet transaction r-1: an earlier attempt was processed "
        "(409: Wallet transaction reference 'r-1' already exists.)",
        result={"already_processed": True, "reference": "r-1"},
    )


@pytest.mark.parametrize(
    ("code", "message", "quoted"),
    [
        # A code alone, its underscores read as spaces: "wallet transaction already exists".
        ("WALLET_TRANSACTION_ALREADY_EXISTS", "", "WALLET_TRANSACTION_ALREADY_EXISTS"),
        # The code names the trigger call, so it says nothing of our reference; the message does.
        ("TRIGGER_FAILED", "Wallet transaction reference 'r-1' already exists.", None),
    ],
)
def test_code_and_message_are_each_read_for_a_repeated_reference(code, message, quoted):
    outcome = _air_error(409, code, message)

    assert outcome == Outcome(
        OutcomeKind.SUCCEEDED,
        reason=f"AIR already holds wallet transaction r-1: an earlier attempt was processed "
        f"(409: {quoted or message})",
        result={"already_processed": True, "reference": "r-1"},
    )


def test_every_2xx_is_the_trigger_processed_and_3xx_is_left_to_the_pipeline():
    processed = Outcome(OutcomeKind.SUCCEEDED, result={})

    assert [KIND.interpret(TRIGGER, status, {}, b"") for status in (200, 201, 204, 299)] == [processed] * 4
    assert [KIND.interpret(TRIGGER, status, {}, b"") for status in (300, 302)] == [None, None]


def _trigger_answer(*accounts):
    answer = {"walletTransactionId": "442092680", "walletId": "216419576", "accounts": list(accounts)}
    return json.dumps(answer).encode()


def _entry(event, account_type, value=None, **account):
    entry = {"event": event, "account": {"type": account_type, **account}}
    if value is not None:
        entry["value"] = value
    return entry


def test_a_coupon_trigger_keeps_only_the_ecoupon_created_not_the_behavioural_action():
    # AIR's answer to a coupon trigger (integration-events-common, sample "SERVICE.TRIGGER (coupon)"):
    # the behavioural action's account is created then redeemed, and an ECOUPON account is created.
    # An e-coupon redeemed in the same answer (the last entry, added here) is not one issued.
    body = _trigger_answer(
        _entry("CREATE", "BEHAVIOURAL_ACTION", 0, accountId="4103598328", campaignId="100633085"),
        _entry("REDEEM", "BEHAVIOURAL_ACTION", 0, accountId="4103598328", campaignId="100633085"),
        _entry("CREATE", "ECOUPON", 0, accountId="4103598329", campaignId="100641678"),
        _entry("REDEEM", "ECOUPON", 0, accountId="4103598330", campaignId="100641679"),
    )

    outcome = KIND.interpret(TRIGGER, 201, {}, body)

    assert (outcome.result["points"], outcome.result["coupons"]) == (
        0,
        [{"account_id": "4103598329", "campaign_id": "100641678"}],
    )


def test_points_credited_are_the_sum_of_the_points_accounts_credits_and_earns():
    body = _trigger_answer(
        None,  # not an account transaction: passed over, the rest still read
        _entry("EARN", "POINTS", 150),
        _entry("CREDIT", "POINTS", 250),
        _entry("DEBIT", "POINTS", 40),  # taken, not credited
        _entry("CREDIT", "CONTINUITY", 5),  # a continuity (spend-count) account's credit, not points
        _entry("CREDIT", "POINTS"),  # no value: credits nothing
    )

    outcome = KIND.interpret(TRIGGER, 201, {}, body)

    # 150 earned + 250 credited.
    assert outcome.result["points"] == 400
