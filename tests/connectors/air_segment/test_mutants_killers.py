"""Exact values of the AIR parser and builder on small hand-built notifications.

Each test pins a behaviour the module docstrings of ``parse_out*.py`` and ``build_out.py`` promise
(the error naming the bad value's path, the fallbacks, the sums), on a payload small enough that
the expected value can be read off it. ``make mutants`` showed these were not pinned elsewhere.
"""

import hashlib
import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from connectors.kinds.air_segment.build_out import notification_build
from connectors.kinds.air_segment.parse_out import notification_key, notification_parse
from connectors.kinds.air_segment.parse_out_values import json_unwrap
from connectors.kinds.base import IncomingEvent, PayloadInvalid
from tests.connectors.air_segment.support import config_make

OPS = "atomicOperations[0].objectValue"
SUMMARY = f"{OPS}.basket.summary"


def op(object_type: str, value: dict, operation_type: str = "CREATE") -> dict:
    return {"objectType": object_type, "operationType": operation_type, "objectValue": value}


def notification(*operations: dict, event: str = "WALLET.ACCOUNT.UPDATE", **parts) -> dict:
    payload = {
        "headers": {"eventName": event, "eesEventId": "e-1", "eventDate": "2025-03-04T12:30:01.250"},
        "atomicOperations": list(operations),
    }
    payload.update(parts)
    return payload


def parse(payload: dict, **settings) -> dict:
    return notification_parse(payload, config_make(**settings)).context


def errors_of(payload: dict) -> list[tuple[str, str]]:
    with pytest.raises(PayloadInvalid) as raised:
        parse(payload)
    return [(error.path, error.message) for error in raised.value.errors]


def transaction_op(value: dict, operation_type: str = "CREATE") -> dict:
    return op("walletTransactionEntity", value, operation_type)


def account_op(account: dict, **value) -> dict:
    return op("walletAccountTransactionEntity", {"account": account, **value})


def tx(id_: str, type_: str, status: str, reference: str, **value) -> dict:
    return {"walletTransactionId": id_, "type": type_, "status": status, "reference": reference, **value}


# Every value of the wrong type is refused naming its path (module docstring, "Types").
@pytest.mark.parametrize(
    ("payload", "path", "message"),
    [
        (notification("x"), "atomicOperations[0]", "Must be an object."),
        (
            notification(op("walletTransactionEntity", {}, [1])),
            "atomicOperations[0].operationType",
            "Must be a string.",
        ),
        (notification({"objectType": "walletTransactionEntity", "objectValue": "x"}), OPS, "Must be an object."),
        (notification(op("walletIdentityEntity", {"walletId": [1]})), f"{OPS}.walletId", "Must be a string."),
        (notification(account_op({"walletId": True})), f"{OPS}.account.walletId", "Must be a string."),
        (notification(op("walletIdentityEntity", {"account": "x"})), f"{OPS}.account", "Must be an object."),
        (notification(transaction_op({"walletTransactionId": [1]})), f"{OPS}.walletTransactionId", "Must be a string."),
        (
            notification(transaction_op({"parentWalletTransactionId": {}})),
            f"{OPS}.parentWalletTransactionId",
            "Must be a string.",
        ),
        (notification(transaction_op({"reference": 1.5})), f"{OPS}.reference", "Must be a string."),
        (notification(transaction_op({"type": [1]})), f"{OPS}.type", "Must be a string."),
        (notification(transaction_op({"status": [1]})), f"{OPS}.status", "Must be a string."),
        (
            notification(transaction_op({"transactionDateTime": 5})),
            f"{OPS}.transactionDateTime",
            "Must be a date and time string.",
        ),
        (
            notification(transaction_op({"transactionDateTime": "noon"})),
            f"{OPS}.transactionDateTime",
            "Must be a date and time such as 2025-01-29T19:40:48+00:00.",
        ),
        (notification(transaction_op({"location": "x"})), f"{OPS}.location", "Must be an object."),
        (notification(transaction_op({"location": {"storeId": [1]}})), f"{OPS}.location.storeId", "Must be a string."),
        (
            notification(transaction_op({"location": {"storeParentId": [1]}})),
            f"{OPS}.location.storeParentId",
            "Must be a string.",
        ),
        (notification(transaction_op({"basket": "x"})), f"{OPS}.basket", "Must be an object."),
        (notification(transaction_op({"basket": {"contents": "x"}})), f"{OPS}.basket.contents", "Must be a list."),
        (
            notification(transaction_op({"basket": {"contents": ["x"]}})),
            f"{OPS}.basket.contents[0]",
            "Must be an object.",
        ),
        *[
            (
                notification(transaction_op({"basket": {"contents": [{key: bad}]}})),
                f"{OPS}.basket.contents[0].{key}",
                message,
            )
            for key, bad, message in [
                ("upc", [1], "Must be a string."),
                ("sku", [1], "Must be a string."),
                ("description", [1], "Must be a string."),
                ("itemUnitCost", "1", "Must be a number."),
                ("itemUnitCount", True, "Must be a number."),
                ("totalUnitCostAfterDiscount", "1", "Must be a number."),
                ("adjudicationResults", "x", "Must be a list."),
            ]
        ],
        (notification(transaction_op({"basket": {"summary": "x"}})), SUMMARY, "Must be an object."),
        *[
            (notification(transaction_op({"basket": {"summary": summary}})), f"{SUMMARY}.{path}", message)
            for summary, path, message in [
                ({"totalBasketValue": "1"}, "totalBasketValue", "Must be a number."),
                ({"totalDiscountAmount": "x"}, "totalDiscountAmount", "Must be an object."),
                ({"totalDiscountAmount": {"coupons": "1"}}, "totalDiscountAmount.coupons", "Must be a number."),
                ({"results": "x"}, "results", "Must be an object."),
                ({"results": {"points": "x"}}, "results.points", "Must be an object."),
                ({"results": {"points": {"earn": "1"}}}, "results.points.earn", "Must be a number."),
                ({"results": {"tiers": "x"}}, "results.tiers", "Must be an object."),
                ({"results": {"tiers": {"points": "1"}}}, "results.tiers.points", "Must be a number."),
                ({"spendAdjudicationResults": "x"}, "spendAdjudicationResults", "Must be an object."),
                (
                    {"spendAdjudicationResults": {"pointsValue": "1"}},
                    "spendAdjudicationResults.pointsValue",
                    "Must be a number.",
                ),
                (
                    {"spendAdjudicationResults": {"balanceAfter": "x"}},
                    "spendAdjudicationResults.balanceAfter",
                    "Must be an object.",
                ),
                (
                    {"spendAdjudicationResults": {"balanceAfter": {"current": "1"}}},
                    "spendAdjudicationResults.balanceAfter.current",
                    "Must be a number.",
                ),
                ({"adjudicationResults": "x"}, "adjudicationResults", "Must be a list."),
                ({"adjudicationResults": ["x"]}, "adjudicationResults[0]", "Must be an object."),
                (
                    {"adjudicationResults": [{"type": "credit", "instanceId": [1]}]},
                    "adjudicationResults[0].instanceId",
                    "Must be a string.",
                ),
                (
                    {"adjudicationResults": [{"type": "redeem", "instanceId": "i", "targetedAccountId": [1]}]},
                    "adjudicationResults[0].targetedAccountId",
                    "Must be a string.",
                ),
            ]
        ],
        (
            notification(
                transaction_op(
                    {"basket": {"contents": [{"adjudicationResults": [{"type": "credit", "instanceId": [1]}]}]}}
                )
            ),
            f"{OPS}.basket.contents[0].adjudicationResults[0].instanceId",
            "Must be a string.",
        ),
        (notification(op("tierMembershipEntity", {"tierId": [1]})), f"{OPS}.tierId", "Must be a string."),
        (notification(op("tierMembershipEntity", {"balances": "x"})), f"{OPS}.balances", "Must be an object."),
        *[
            (
                notification(op("tierMembershipEntity", {"balances": {key: "1"}})),
                f"{OPS}.balances.{key}",
                "Must be a number.",
            )
            for key in ("points", "spend", "transactions")
        ],
        (
            notification(op("tierMembershipEntity", {"tierBalancesResetDate": 5})),
            f"{OPS}.tierBalancesResetDate",
            "Must be a date and time string.",
        ),
        (
            notification(op("tierMembershipTransactionEntity", {"tierIdAfter": "2", "tierId": [1]})),
            f"{OPS}.tierId",
            "Must be a string.",
        ),
        (
            notification(op("walletAccountEntity", {"type": "POINTS", "balances": "x"})),
            f"{OPS}.balances",
            "Must be an object.",
        ),
        (
            notification(op("walletAccountEntity", {"type": "POINTS", "balances": {"current": "1"}})),
            f"{OPS}.balances.current",
            "Must be a number.",
        ),
        (notification(account_op({"type": "POINTS"}, value="1")), f"{OPS}.value", "Must be a number."),
        (
            notification(account_op({"type": "POINTS", "balances": "x"})),
            f"{OPS}.account.balances",
            "Must be an object.",
        ),
        (
            notification(account_op({"type": "POINTS", "balances": {"current": "1"}})),
            f"{OPS}.account.balances.current",
            "Must be a number.",
        ),
        *[
            (notification(account_op({"type": "ECOUPON", **account}, event="REDEEM")), f"{OPS}.account.{path}", message)
            for account, path, message in [
                ({"accountId": [1]}, "accountId", "Must be a string."),
                ({"campaignId": [1]}, "campaignId", "Must be a string."),
                ({"clientType": [1]}, "clientType", "Must be a string."),
                ({"status": [1]}, "status", "Must be a string."),
                ({"dates": "x"}, "dates", "Must be an object."),
                ({"dates": {"start": 5}}, "dates.start", "Must be a date and time string."),
                (
                    {"dates": {"end": "never"}},
                    "dates.end",
                    "Must be a date and time such as 2025-01-29T19:40:48+00:00.",
                ),
            ]
        ],
        (
            notification(account_op({"type": "ECOUPON", "clientType": "ENTITLEMENT", "accountId": [1]})),
            f"{OPS}.account.accountId",
            "Must be a string.",
        ),
        (
            notification(account_op({"type": "STANDARD_SUBSCRIPTION", "campaignId": [1]})),
            f"{OPS}.account.campaignId",
            "Must be a string.",
        ),
        (
            notification(account_op({"type": "BEHAVIOURAL_ACTION", "accountId": [1]}, event="REDEEM")),
            f"{OPS}.account.accountId",
            "Must be a string.",
        ),
        (
            notification(account_op({"type": "BEHAVIOURAL_ACTION", "campaignId": [1]}, event="REDEEM")),
            f"{OPS}.account.campaignId",
            "Must be a string.",
        ),
        (
            notification(op("walletIdentityEntity", {"type": [1], "value": "C-1"})),
            "atomicOperations[walletIdentityEntity].objectValue[0].type",
            "Must be a string.",
        ),
        (
            notification(op("walletIdentityEntity", {"type": "CARD", "value": [1]})),
            "atomicOperations[walletIdentityEntity].objectValue[0].value",
            "Must be a string.",
        ),
        (notification(enrichmentData={"walletEntity_5": "x"}), "enrichmentData.walletEntity_5", "Must be an object."),
        (
            notification(enrichmentData={"walletEntity_5": {"identities": "x"}}),
            "enrichmentData.walletEntity_5.identities",
            "Must be a list.",
        ),
        (
            notification(enrichmentData={"walletEntity_5": {"identities": ["x"]}}),
            "enrichmentData.walletEntity_5.identities[0]",
            "Must be an object.",
        ),
        (
            notification(enrichmentData={"walletEntity_5": {"identities": [{"type": [1]}]}}),
            "enrichmentData.walletEntity_5.identities[0].type",
            "Must be a string.",
        ),
        (
            notification(enrichmentData={"walletEntity_5": {"identities": [{"type": "CARD", "value": [1]}]}}),
            "enrichmentData.walletEntity_5.identities[0].value",
            "Must be a string.",
        ),
        (notification(enrichmentData={"identities": "x"}), "enrichmentData.identities", "Must be an object."),
        (
            notification(enrichmentData={"identities": {"CARD": [1]}}),
            "enrichmentData.identities.CARD",
            "Must be a string.",
        ),
        (
            notification(headers={"eventName": "E", "eesEventId": "e-1", "eesMasterEventId": [1]}),
            "headers.eesMasterEventId",
            "Must be a string.",
        ),
        (
            notification(
                transaction_op(tx("1", "REFUND", "SETTLED", "R-1")),
                event="POSCONNECT.WALLET.REFUND",
                request={"body": '{"parentWalletTransactionReference": [1]}'},
            ),
            "request.body.parentWalletTransactionReference",
            "Must be a string.",
        ),
        (notification(response={"body": '{"reference": [1]}'}), "response.body.reference", "Must be a string."),
    ],
)
def test_a_value_of_the_wrong_type_is_refused_naming_its_path(payload, path, message):
    assert errors_of(payload) == [(path, message)]


@pytest.mark.parametrize("key", ["request", "response", "enrichmentData"])
def test_an_envelope_part_that_is_not_an_object_is_refused_and_an_empty_list_is_an_empty_object(key):
    # AIR's PHP encodes an empty map as [] (parser._obj): accepted; a string is not an object.
    assert errors_of(notification(**{key: "x"})) == [(key, "Must be an object.")]
    assert parse(notification(**{key: []}))["event_name"] == "WALLET.ACCOUNT.UPDATE"


def test_every_envelope_part_that_is_not_an_object_is_named_in_one_answer():
    payload = notification(request="x", response=5, enrichmentData="x")

    assert errors_of(payload) == [
        ("request", "Must be an object."),
        ("response", "Must be an object."),
        ("enrichmentData", "Must be an object."),
    ]


def test_the_event_date_is_in_utc_whatever_the_servers_time_zone(monkeypatch):
    # Asia/Tokyo is UTC+9 with no summer time: a date read in the server's zone would say 21:30+09:00.
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    try:
        payload = notification()
        payload["headers"]["eventDate"] = "2025-03-04T13:30:01.250+01:00"
        event = notification_parse(payload, config_make())
    finally:
        monkeypatch.undo()
        time.tzset()

    assert (event.occurred_at.utcoffset(), event.context["occurred_at"]) == (timedelta(0), "2025-03-04T12:30:01.250Z")


def test_an_event_id_of_100_characters_is_accepted_and_101_refused():
    payload = notification()
    payload["headers"]["eesEventId"] = "e" * 100
    assert parse(payload)["event_id"] == "e" * 100

    payload["headers"]["eesEventId"] = "e" * 101
    assert errors_of(payload) == [("headers.eesEventId", "At most 100 characters.")]


def test_an_event_name_of_120_characters_is_accepted_and_121_refused():
    payload = notification(event="E" * 120)
    assert parse(payload)["event_name"] == "E" * 120

    payload["headers"]["eventName"] = "E" * 121
    assert errors_of(payload) == [("headers.eventName", "At most 120 characters.")]


def test_an_event_date_with_an_offset_is_read_in_utc_and_none_without_a_date():
    payload = notification()
    payload["headers"]["eventDate"] = "2025-03-04T13:30:01.250+01:00"
    event = notification_parse(payload, config_make())
    # 13:30:01.250 at +01:00 is 12:30:01.250 UTC.
    assert event.occurred_at == datetime(2025, 3, 4, 12, 30, 1, 250000, tzinfo=UTC)
    assert event.context["occurred_at"] == "2025-03-04T12:30:01.250Z"

    del payload["headers"]["eventDate"]
    event = notification_parse(payload, config_make())
    assert (event.occurred_at, event.context["occurred_at"]) == (None, None)
    # The notification is kept as it came, for the delivery log.
    assert event.raw is payload


def test_every_context_key_is_present_with_its_empty_value():
    # "Every key is always present (null, [] when the notification does not carry it)."
    context = parse(notification(), currency="GBP")

    assert context == {
        "event_name": "WALLET.ACCOUNT.UPDATE",
        "event_id": "e-1",
        "master_event_id": None,
        "occurred_at": "2025-03-04T12:30:01.250Z",
        "resource": None,
        "wallet_id": None,
        "identity_type": "CUSTOMER_ID",
        "user_id": None,
        "identities": {},
        "currency": "GBP",
        "loyalty_member": True,
        "points_balance": None,
        "tier_id": None,
        "tier_previous_id": None,
        "tier_balances_points": None,
        "tier_balances_spend": None,
        "tier_balances_transactions": None,
        "tier_balances_reset_date": None,
        "transaction": None,
        "coupons_redeemed": [],
        "coupons_unredeemed": [],
        "coupons_awarded": [],
        "points_earned": 0,
        "points_spent": 0,
        "points_voided": 0,
        "points_refund_debited": 0,
        "subscription": None,
        "entitlements": [],
        "awarded_points": None,
        "wallet_transaction_reference": None,
        "fulfilment_stage": None,
    }


def test_the_header_values_and_the_resource_are_read():
    payload = notification(request={"resource": "/wallet/123/transaction"})
    payload["headers"]["eesMasterEventId"] = "m-1"
    context = parse(payload)

    assert (context["master_event_id"], context["resource"]) == ("m-1", "/wallet/123/transaction")
    # A resource that is not a string is no resource.
    assert parse(notification(request={"resource": 5}))["resource"] is None


def test_without_an_identity_type_setting_the_user_id_is_the_customer_id():
    payload = notification(enrichmentData={"identities": {"CUSTOMER_ID": "C-1", "CARD": "6330"}})

    context = parse(payload, identity_type="")

    assert (context["identity_type"], context["user_id"]) == ("CUSTOMER_ID", "C-1")


def test_the_wallet_id_comes_from_the_resource_else_from_the_only_enriched_wallet():
    assert parse(notification(request={"resource": "/wallet/123/identity"}))["wallet_id"] == "123"
    assert parse(notification(enrichmentData={"walletEntity_77": {}}))["wallet_id"] == "77"
    # Two enriched wallets: neither is known to be the event's.
    assert parse(notification(enrichmentData={"walletEntity_77": {}, "walletEntity_78": {}}))["wallet_id"] is None
    # An operation's walletId wins over the resource.
    payload = notification(op("walletIdentityEntity", {"walletId": "9"}), request={"resource": "/wallet/123"})
    assert parse(payload)["wallet_id"] == "9"


def test_identities_come_from_the_events_own_wallet_first():
    # walletEntity_9 sorts after walletEntity_1, but wallet 9 is the event's.
    payload = notification(
        op("walletIdentityEntity", {"walletId": "9"}),
        enrichmentData={
            "walletEntity_1": {"identities": [{"type": "CUSTOMER_ID", "value": "OTHER"}]},
            "walletEntity_9": {"identities": [{"type": "CUSTOMER_ID", "value": "OWN"}]},
        },
    )

    assert parse(payload)["user_id"] == "OWN"


def test_points_operations_are_summed_per_action_and_the_last_balance_kept():
    payload = notification(
        account_op({"type": "POINTS", "balances": {"current": 500}}, event="EARN", value=100),
        account_op({"type": "POINTS", "balances": {"current": 530}}, event="CREDIT", value=30),
        account_op({"type": "POINTS"}, event="SPEND", value=40),
        account_op({"type": "POINTS"}, event="SPEND", value=2),
        account_op({"type": "POINTS"}, event="VOID", value=7),
        account_op({"type": "POINTS"}, event="VOID", value=3),
        account_op({"type": "POINTS"}, event="REFUND_DEBIT", value=11),
        account_op({"type": "POINTS"}, event="REFUND_DEBIT", value=4),
        account_op({"type": "POINTS"}, event="EARN"),
        account_op({"type": "POINTS"}, event="SPEND"),
        account_op({"type": "POINTS"}, event="VOID"),
        account_op({"type": "POINTS"}, event="REFUND_DEBIT"),
        # Not an account transaction: its account is not read.
        op("walletEntity", {"account": {"type": "POINTS"}, "event": "EARN", "value": 1000}),
    )

    context = parse(payload)

    # earned 100 + 30, spent 40 + 2, voided 7 + 3, refund-debited 11 + 4 (an operation without a
    # value adds nothing); the last operation reporting a balance said 530.
    assert (
        context["points_earned"],
        context["points_spent"],
        context["points_voided"],
        context["points_refund_debited"],
        context["points_balance"],
    ) == (130, 42, 10, 15, 530)


def test_only_a_points_wallet_account_gives_the_balance():
    payload = notification(
        op("walletAccountEntity", {"type": "POINTS", "balances": {"current": 250}}),
        op("walletAccountEntity", {"type": "ECOUPON", "balances": {"current": 1}}),
        op("walletEntity", {"type": "POINTS", "balances": {"current": 2}}),
    )

    assert parse(payload)["points_balance"] == 250


def test_a_tier_transaction_without_a_move_keeps_no_previous_tier():
    payload = notification(
        op("tierMembershipTransactionEntity", {"tierId": "12"}),
        # Only a tier membership transaction says which tier was left.
        op("walletEntity", {"tierIdAfter": "13", "tierId": "12"}),
    )

    assert parse(payload)["tier_previous_id"] is None


def test_coupons_entitlements_subscription_and_awarded_points_are_summarised():
    coupon = {
        "type": "ECOUPON",
        "accountId": "501",
        "campaignId": "77",
        "clientType": "OFFER",
        "status": "ACTIVE",
        "dates": {"start": "2025-03-01T00:00:00+00:00", "end": "2025-04-01T00:00:00+00:00"},
    }
    payload = notification(
        account_op(coupon, event="REDEEM", value=250),
        account_op({**coupon, "accountId": "502"}, event="UNREDEEM", value=100),
        account_op({"type": "ECOUPON", "accountId": "601", "clientType": "ENTITLEMENT", "status": "ACTIVE"}),
        account_op({"type": "STANDARD_SUBSCRIPTION", "accountId": "701", "campaignId": "70", "status": "ACTIVE"}),
        account_op({"type": "BEHAVIOURAL_ACTION", "accountId": "801", "campaignId": "80"}, event="REDEEM", value=50),
        account_op({"type": "BEHAVIOURAL_ACTION", "accountId": "802"}, event="CREATE", value=9),
        account_op({"type": "CONTINUITY", "accountId": "901"}, event="REDEEM", value=1),
    )

    context = parse(payload, currency="GBP")

    summary = {
        "account_id": "501",
        "campaign_id": "77",
        "type": "ECOUPON",
        "client_type": "OFFER",
        "status": "ACTIVE",
        "date_start": "2025-03-01T00:00:00.000Z",
        "date_end": "2025-04-01T00:00:00.000Z",
    }
    # 250 and 100 pence are £2.50 and £1.00: no adjudication credited points for them.
    assert context["coupons_redeemed"] == [{**summary, "value": 2.5, "value_type": "money"}]
    assert context["coupons_unredeemed"] == [{**summary, "account_id": "502", "value": 1.0, "value_type": "money"}]
    assert context["entitlements"] == [
        {
            "account_id": "601",
            "campaign_id": None,
            "type": "ECOUPON",
            "client_type": "ENTITLEMENT",
            "status": "ACTIVE",
            "date_start": None,
            "date_end": None,
            "value": None,
            "value_type": "money",
        }
    ]
    assert context["subscription"] == {
        "account_id": "701",
        "campaign_id": "70",
        "status": "ACTIVE",
        "date_start": None,
        "date_end": None,
    }
    # Only a redeemed behavioural action awards points; another account's REDEEM does not.
    assert context["awarded_points"] == {"points": 50, "account_id": "801", "campaign_id": "80"}


def test_a_coupon_whose_redemption_credited_points_is_valued_in_points():
    # The adjudication pairs the coupon account 501's redeem (instance i-1) with a credit of i-1;
    # account 502's redeem (i-2) has no credit (a debit of i-2 is no credit), and a redeem or a
    # credit without an instance pairs nothing.
    adjudication = [
        {"type": "redeem", "instanceId": "i-1", "targetedAccountId": "501"},
        {"type": "credit", "instanceId": "i-1"},
        {"type": "redeem", "targetedAccountId": "501"},
        {"type": "redeem", "instanceId": "i-2", "targetedAccountId": "502"},
        {"type": "debit", "instanceId": "i-2"},
        {"type": "credit"},
        {"type": "redeem", "targetedAccountId": "503"},
        {"type": "redeem", "instanceId": "i-3"},
    ]
    line = {"upc": "1", "adjudicationResults": [{"type": "credit", "instanceId": "i-2"}]}
    payload = notification(
        transaction_op(
            tx("1", "SETTLE", "SETTLED", "ORDER-1", basket={"summary": {"adjudicationResults": adjudication}})
        ),
        account_op({"type": "ECOUPON", "accountId": "501"}, event="REDEEM", value=300),
        account_op({"type": "ECOUPON", "accountId": "502"}, event="REDEEM", value=100),
        account_op({"type": "ECOUPON", "accountId": "503"}, event="REDEEM", value=200),
        event="POSCONNECT.WALLET.SETTLE",
    )
    without_line = parse(payload, currency="GBP")["coupons_redeemed"]
    assert [(c["account_id"], c["value"], c["value_type"]) for c in without_line] == [
        ("501", 300, "points"),
        ("502", 1.0, "money"),
        ("503", 2.0, "money"),
    ]

    # A basket line's adjudication results pair too: i-2's credit is on the line.
    payload["atomicOperations"][0]["objectValue"]["basket"]["contents"] = [line]
    with_line = parse(payload, currency="GBP")["coupons_redeemed"]
    assert [(c["account_id"], c["value"], c["value_type"]) for c in with_line] == [
        ("501", 300, "points"),
        ("502", 100, "points"),
        ("503", 2.0, "money"),
    ]


def test_a_refund_total_gives_back_the_net_money_discount_and_takes_its_order_from_its_parent():
    payload = notification(
        transaction_op(tx("1", "SETTLE", "SETTLED", "ORDER-1", location={"storeId": "S1"})),
        transaction_op(tx("2", "SETTLE", "SETTLED", "ORDER-2")),
        transaction_op(
            tx(
                "3",
                "REFUND",
                "SETTLED",
                "R-1",
                parentWalletTransactionId="1",
                transactionDateTime="2025-03-04T12:30:00+00:00",
                basket={
                    "contents": [
                        {
                            "upc": "U1",
                            "description": "Tea",
                            "itemUnitCost": 500,
                            "itemUnitCount": 2,
                            "totalUnitCostAfterDiscount": 900,
                        },
                        {"upc": "U2", "sku": "SKU-2", "totalUnitCostAfterDiscount": 300},
                        {"upc": "U3"},
                    ],
                    "summary": {"results": {"points": {"totalPointsTaken": 90, "totalPointsGiven": 10}}},
                },
            )
        ),
        account_op({"type": "ECOUPON", "accountId": "501"}, event="UNREDEEM", value=150),
        account_op({"type": "ECOUPON", "accountId": "502"}, event="REDEEM", value=50),
        account_op({"type": "ECOUPON", "accountId": "503"}, event="UNREDEEM"),
        account_op({"type": "ECOUPON", "accountId": "504"}, event="CREATE", value=999),
        event="POSCONNECT.WALLET.REFUND",
    )

    transaction = parse(payload, currency="GBP")["transaction"]

    # Lines after discount 900 + 300 (+ nothing for U3) = 1200 pence; discount given back 150
    # unredeemed - 50 redeemed again = 100 (a coupon without a value and a coupon created are no
    # discount given back); total 1200 - 100 = 1100 pence = £11.00. Points deducted 90 - 10.
    # Its parent is transaction 1 (ORDER-1), not the last SETTLE (ORDER-2); it has no store of
    # its own, so the order's store is the refund's.
    assert transaction == {
        "reference": "R-1",
        "original_reference": "ORDER-1",
        "type": "REFUND",
        "status": "SETTLED",
        "date": "2025-03-04T12:30:00.000Z",
        "products": [
            {"product_id": "U1", "sku": "U1", "name": "Tea", "price": 5.0, "quantity": 2},
            {"product_id": "U2", "sku": "SKU-2", "name": None, "price": None, "quantity": None},
            {"product_id": "U3", "sku": "U3", "name": None, "price": None, "quantity": None},
        ],
        "total": 11.0,
        "discounts": 0.0,
        "points_earned": 10,
        "points_deducted": 80,
        "points_spent": 0,
        "points_balance": None,
        "tier_points": 0,
        "store_location": {"store_id": "S1", "store_parent_id": None},
    }
    # In yen (no minor unit) the same sums are whole numbers of yen: 1200 - 100 = 1100, not 1100.0.
    total = parse(payload, currency="JPY")["transaction"]["total"]
    assert (total, type(total)) == (1100, int)


def test_without_a_parent_the_order_is_the_last_settle_not_the_last_transaction():
    payload = notification(
        transaction_op(tx("1", "SETTLE", "SETTLED", "ORDER-1")),
        # Neither the spend nor the refund has an id: no id is no parent.
        transaction_op({"type": "SPEND", "status": "ACTIVE", "reference": "SPEND-1"}),
        transaction_op({"type": "REFUND", "status": "SETTLED", "reference": "R-1"}),
        event="POSCONNECT.WALLET.REFUND",
    )
    assert parse(payload)["transaction"]["original_reference"] == "ORDER-1"

    # AIR's parent "0" is no parent either.
    payload["atomicOperations"][2]["objectValue"]["parentWalletTransactionId"] = "0"
    assert parse(payload)["transaction"]["original_reference"] == "ORDER-1"


def test_a_spend_created_without_a_status_rule_is_the_spend_reported():
    # SPEND: an updated ACTIVE or SETTLED spend, else a created one whatever its status.
    payload = notification(
        transaction_op(tx("1", "SPEND", "PENDING", "SPEND-1")),
        event="POSCONNECT.WALLET.SPEND",
    )

    assert parse(payload)["transaction"]["reference"] == "SPEND-1"


def test_a_spend_void_gives_back_the_spent_points_to_the_balance_after():
    summary = {"spendAdjudicationResults": {"pointsValue": 40, "balanceAfter": {"current": 100}}}
    payload = notification(
        transaction_op(tx("1", "SPEND", "VOIDED", "SPEND-1", basket={"summary": summary}), "UPDATE"),
        event="POSCONNECT.WALLET.SPEND.VOID",
    )
    # 100 left after the spend, plus the 40 points the void gives back.
    assert parse(payload)["transaction"]["points_balance"] == 140

    del summary["spendAdjudicationResults"]["pointsValue"]
    assert parse(payload)["transaction"]["points_balance"] == 100


def test_identities_are_read_from_wallet_entries_only():
    # An enriched entry that is not a wallet is not the customer's, whatever it holds.
    payload = notification(
        op("walletIdentityEntity", {"walletId": "9", "type": "CUSTOMER_ID", "value": "FROM-OPERATION"}),
        enrichmentData={
            "walletEntity_9": {"identities": []},
            "accountEntity_5": {"identities": [{"type": "CUSTOMER_ID", "value": "NOT-A-WALLET"}]},
        },
    )

    assert parse(payload)["user_id"] == "FROM-OPERATION"


def test_a_settle_is_its_own_order_and_has_no_original_reference():
    payload = notification(
        transaction_op(tx("1", "SETTLE", "SETTLED", "ORDER-0", location={"storeId": "S0"})),
        transaction_op(tx("2", "SETTLE", "SETTLED", "ORDER-1"), "UPDATE"),
        event="POSCONNECT.WALLET.SETTLE",
    )

    transaction = parse(payload)["transaction"]

    assert (transaction["reference"], transaction["original_reference"], transaction["store_location"]) == (
        "ORDER-1",
        None,
        None,
    )
    assert transaction["points_deducted"] is None


def test_an_event_without_a_rule_reports_its_last_transaction():
    payload = notification(
        transaction_op(tx("1", "SPEND", "ACTIVE", "A")),
        transaction_op(tx("2", "SPEND", "ACTIVE", "B")),
        transaction_op(tx("3", "SPEND", "ACTIVE", "C")),
        event="SERVICE.TRIGGER",
    )

    assert parse(payload)["transaction"]["reference"] == "C"


def test_a_final_fulfil_reports_the_fulfil_transaction_even_when_a_settle_update_follows():
    payload = notification(
        transaction_op(tx("2", "FULFIL", "FULFILLED", "F-1", parentWalletTransactionId="1")),
        transaction_op(tx("1", "SETTLE", "SETTLED", "ORDER-1"), "UPDATE"),
        event="POSCONNECT.WALLET.FULFIL",
        request={"body": '{"basket": {"contents": []}, "finalise": true}'},
    )

    context = parse(payload)

    assert (context["fulfilment_stage"], context["transaction"]["reference"]) == ("final", "F-1")
    assert context["transaction"]["original_reference"] == "ORDER-1"


def test_a_fulfil_without_a_request_body_is_initial():
    assert parse(notification(event="POSCONNECT.WALLET.FULFIL"))["fulfilment_stage"] == "initial"


def test_the_wallet_transaction_reference_is_the_callers_else_the_transactions_else_airs_reply():
    trigger = notification(
        transaction_op(tx("1", "SETTLE", "SETTLED", "T-REF")),
        event="SERVICE.TRIGGER",
        request={"body": '{"walletTransaction": {"reference": "msg-1"}}'},
        response={"body": '{"reference": "R-REF"}'},
    )
    assert parse(trigger)["wallet_transaction_reference"] == "msg-1"

    del trigger["request"]
    assert parse(trigger)["wallet_transaction_reference"] == "T-REF"

    trigger["atomicOperations"] = []
    assert parse(trigger)["wallet_transaction_reference"] == "R-REF"

    trigger["response"] = {"body": {"reference": 42}}
    assert parse(trigger)["wallet_transaction_reference"] == "42"


def test_without_a_currency_amounts_are_read_as_us_dollars_in_cents():
    payload = notification(op("tierMembershipEntity", {"balances": {"spend": 1549}}))
    settings = dict(config_make().settings)
    del settings["currency"], settings["amounts_in_minor_units"]
    config = config_make().__class__(connector_id="x", settings=settings, secrets={})

    # USD has two decimals: 1549 cents are 15.49 dollars, minor units being the default.
    assert notification_parse(payload, config).context["tier_balances_spend"] == 15.49


def test_yen_amounts_stay_whole_numbers():
    payload = notification(op("tierMembershipEntity", {"balances": {"spend": 1549}}))

    spend = parse(payload, currency="JPY")["tier_balances_spend"]

    # JPY has no minor unit: the amount is kept as AIR sent it, an integer, not 1549.0.
    assert (spend, type(spend)) == (1549, int)


def test_the_notification_key_hashes_the_canonical_event_name_and_operations():
    payload = notification(op("walletIdentityEntity", {"value": "Zoë", "type": "CARD"}))
    # Canonical: keys sorted, no spaces, non-ASCII kept as UTF-8, so a redelivery with the keys
    # in another order or another spacing has the same key, and keys stored stay valid.
    canonical = (
        '["WALLET.ACCOUNT.UPDATE",[{"objectType":"walletIdentityEntity","objectValue":'
        '{"type":"CARD","value":"Zoë"},"operationType":"CREATE"}]]'
    )

    assert notification_key(payload) == "e-1:" + hashlib.sha256(canonical.encode()).hexdigest()[:32]


def event_of(context: dict, source_event_id: str = "e-1:k") -> IncomingEvent:
    return IncomingEvent(
        event_type="E", source_event_id=source_event_id, identity="", occurred_at=None, context=context, raw={}
    )


def test_message_ids_hash_the_connector_key_type_event_and_occurrence():
    messages = [
        {"type": "track", "event": "A", "userId": "C-1"},
        {"type": "track", "event": "A", "userId": "C-1"},
        {"type": "identify", "userId": "C-1", "traits": {}},
    ]

    translation = notification_build(event_of({"user_id": "C-1"}), messages, config_make())

    # The first message of a type and name is occurrence 1, the next 2; an identify has no event.
    expected = [
        "air-" + hashlib.sha256(name.encode()).hexdigest()[:40]
        for name in ("x\ne-1:k\ntrack\nA\n1", "x\ne-1:k\ntrack\nA\n2", "x\ne-1:k\nidentify\n\n1")
    ]
    assert [m["messageId"] for m in translation.requests[0].body["batch"]] == expected


def test_the_identify_is_added_unless_turned_off_and_carries_the_library_version():
    settings = dict(config_make().settings)
    del settings["send_identify"]
    config = config_make().__class__(connector_id="x", settings=settings, secrets={"segment_write_key": "wk"})

    translation = notification_build(
        event_of({"user_id": "C-1"}), [{"type": "track", "event": "A", "userId": "C-1"}], config
    )

    # send_identify is on by default: the identify comes first.
    batch = translation.requests[0].body["batch"]
    assert [m["type"] for m in batch] == ["identify", "track"]
    assert batch[0]["context"]["library"] == {"name": "ee-connect", "version": "0.1.0"}


@pytest.mark.parametrize(
    ("context", "connector_settings", "identity_type"),
    [
        ({"identity_type": "MOBILE"}, {"identity_type": "CARD"}, "MOBILE"),
        ({}, {"identity_type": "CARD"}, "CARD"),
        ({}, {"identity_type": ""}, "CUSTOMER_ID"),
    ],
)
def test_without_a_user_id_the_notification_is_ignored_naming_the_identity_type(
    context, connector_settings, identity_type
):
    messages = [{"type": "track", "event": "A"}]

    translation = notification_build(event_of(context), messages, config_make(**connector_settings))

    assert (translation.requests, translation.ignored) == (
        [],
        f"The notification has no {identity_type} identity, so there is no Segment userId",
    )


def test_a_message_without_a_user_id_is_ignored_even_when_the_event_has_one():
    messages = [{"type": "track", "event": "A", "userId": "C-1"}, {"type": "track", "event": "B"}]

    translation = notification_build(event_of({"user_id": "C-1", "identity_type": "CARD"}), messages, config_make())

    assert (translation.requests, translation.ignored) == (
        [],
        "The notification has no CARD identity, so there is no Segment userId",
    )


@pytest.mark.parametrize(
    ("encoded", "read"),
    [
        ({"walletId": "1"}, {"walletId": "1"}),
        (json.dumps({"walletId": "1"}), {"walletId": "1"}),
        (json.dumps(json.dumps({"walletId": "1"})), {"walletId": "1"}),
        # AIR encodes a body at most twice: a third encoding is left as the text it is (and its
        # reader then refuses a body that is not an object), never guessed at.
        (json.dumps(json.dumps(json.dumps({"walletId": "1"}))), json.dumps({"walletId": "1"})),
        ("not json", None),
    ],
    ids=["object", "once", "twice", "three-times", "not-json"],
)
def test_a_request_body_is_json_decoded_at_most_twice(encoded, read):
    assert json_unwrap(encoded) == read
