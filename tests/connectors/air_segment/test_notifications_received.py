"""AIR notifications through the webhook: what is one event, what is a duplicate, what is ignored."""

import copy
import json

import pytest

from connectors.tokens import token_issue
from events.models import Event
from tests.connectors.air_segment.notifications import coupon, notification, points, tier
from tests.connectors.factories import ConnectorFactory

pytestmark = pytest.mark.django_db
CALL = "0b6d1c9e-3f2a-4c55-9d1e-7a8b9c0d1e2f"  # one AIR call: every notification below carries it


@pytest.fixture
def connector():
    return ConnectorFactory()


@pytest.fixture
def token(connector):
    return token_issue(connector=connector, direction="out").plaintext


def post(client, connector, token, body):
    return client.post(
        f"/out/segment/{connector.public_id}",
        data=json.dumps(body),
        content_type="application/json",
        HTTP_X_AUTH_TOKEN=token,
    )


def accounts_created_call() -> list[dict]:
    """What one wallet-accounts-create opening three campaign accounts sends: the service
    notification and one campaign-account notification per account, all with one eesEventId."""
    service = notification(
        "SERVICE.WALLET.ACCOUNTS.CREATE",
        [points("CREATE", 0, 0, operation_type="CREATE"), tier("T1", 0, 0, 0)],
        event_id=CALL,
    )
    campaigns = [
        notification(
            "WALLET.ACCOUNT.CREATE.CAMPAIGN",
            [coupon("CREATE", f"ACC-{number}", f"CAMP-{number}", 0, operation_type="CREATE")],
            event_id=CALL,
        )
        for number in (1, 2, 3)
    ]
    return [service, *campaigns]


def test_each_notification_of_one_air_call_is_its_own_event(client, connector, token):
    answers = [post(client, connector, token, body).json() for body in accounts_created_call()]

    assert [answer.get("duplicate", False) for answer in answers] == [False] * 4
    events = Event.objects.filter(connector=connector).order_by("received_at", "id")
    assert [e.event_type for e in events] == ["SERVICE.WALLET.ACCOUNTS.CREATE"] + ["WALLET.ACCOUNT.CREATE.CAMPAIGN"] * 3
    assert [e.context["coupons_awarded"][0]["account_id"] for e in events[1:]] == ["ACC-1", "ACC-2", "ACC-3"]
    message_ids = [m["messageId"] for e in events for d in e.deliveries.all() for m in d.body["batch"]]
    assert len(message_ids) == len(set(message_ids)) == 8  # an identify and a track per notification


def test_an_exact_redelivery_of_a_notification_is_a_duplicate(client, connector, token):
    first, *_ = accounts_created_call()
    post(client, connector, token, first)

    again = post(client, connector, token, copy.deepcopy(first))

    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    event = Event.objects.get(connector=connector)
    assert event.duplicate_count == 1


def test_a_redelivery_enriched_differently_is_still_the_same_notification(client, connector, token):
    first, *_ = accounts_created_call()
    post(client, connector, token, first)
    redelivered = copy.deepcopy(first)
    redelivered["enrichmentData"] = {"identities": {"CUSTOMER_ID": "CUST-7001"}}

    again = post(client, connector, token, redelivered)

    assert again.json()["duplicate"] is True
    assert Event.objects.filter(connector=connector).count() == 1


def test_a_notification_without_the_connectors_identity_is_stored_ignored_with_the_reason(client, connector, token):
    body = notification("TIER.MEMBERSHIP.CREATE", [tier("T1", 0, 0, 0)], enrichment={})

    response = post(client, connector, token, body)

    assert response.status_code == 200
    event = Event.objects.get(connector=connector)
    assert event.status == Event.Status.IGNORED
    assert event.error == "The notification has no CUSTOMER_ID identity, so there is no Segment userId"
    assert not event.deliveries.exists()


def test_a_wrongly_typed_value_is_refused_naming_its_path(client, connector, token):
    body = notification("POSCONNECT.WALLET.SETTLE", [points("EARN", 20, 320)])
    body["atomicOperations"][0]["objectValue"]["account"]["balances"]["current"] = "320"

    response = post(client, connector, token, body)

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"path": "atomicOperations[0].objectValue.account.balances.current", "message": "Must be a number."}
    ]
    assert not Event.objects.exists()
