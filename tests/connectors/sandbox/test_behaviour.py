import json

import pytest

from connectors.sandbox.models import SandboxBehaviour, SandboxRecord, SandboxRequest, SandboxSegmentMessage
from connectors.sandbox.services import sandbox_behaviour_set, sandbox_behaviour_take
from tests.connectors.sandbox.conftest import segment_auth
from tests.connectors.sandbox.test_perkville import TRANSACTION as PERKVILLE_TRANSACTION

PERKVILLE_URL = "/sandbox/perkville/v2/transactions/"
PERKVILLE_AUTH = {"Authorization": "Bearer sandbox-perkville-token"}


def _set(client, upstream: str, behaviour: dict):
    return client.post(
        f"/sandbox/{upstream}/behaviour", data=json.dumps(behaviour), content_type="application/json"
    )


def _perkville(client, source_id: str = "order-1"):
    body = json.dumps({**PERKVILLE_TRANSACTION, "trans_source_id": source_id})
    return client.post(PERKVILLE_URL, data=body, content_type="application/json", headers=PERKVILLE_AUTH)


@pytest.mark.django_db
def test_fail_first_two_fails_twice_then_serves(client):
    _set(client, "perkville", {"status": 500, "fail_first": 2})

    statuses = [_perkville(client).status_code for _ in range(3)]

    assert statuses == [500, 500, 201]
    assert list(SandboxRequest.objects.values_list("status", flat=True)) == [500, 500, 201]
    assert SandboxRecord.objects.count() == 1


@pytest.mark.django_db
def test_injected_failure_body_and_retry_after(client):
    _set(client, "perkville", {"status": 429, "retry_after": 7})

    response = _perkville(client)

    assert response.status_code == 429
    assert response["Retry-After"] == "7"
    assert response.json() == {
        "code": "sandbox_injected_failure",
        "message": "The perkville sandbox was told to answer 429.",
    }
    assert SandboxRecord.objects.count() == 0


@pytest.mark.django_db
def test_status_alone_fails_every_call_until_reset(client):
    _set(client, "perkville", {"status": 503})
    failures = [_perkville(client).status_code for _ in range(3)]

    _set(client, "perkville", {})

    assert failures == [503, 503, 503]
    assert _perkville(client).status_code == 201


@pytest.mark.django_db
def test_fail_first_without_status_fails_with_500(client):
    _set(client, "perkville", {"fail_first": 1})

    assert [_perkville(client).status_code for _ in range(2)] == [500, 201]


@pytest.mark.django_db
def test_behaviour_of_one_upstream_leaves_the_others_alone(client):
    _set(client, "perkville", {"status": 500})

    response = client.get("/sandbox/everflow/?nid=1&transaction_id=t-1")

    assert response.status_code == 200


@pytest.mark.django_db
def test_failure_applies_before_authentication(client):
    _set(client, "segment", {"status": 502, "fail_first": 1})
    body = json.dumps({"batch": [{"type": "track", "event": "E", "userId": "u", "messageId": "m-1"}]})

    failed = client.post("/sandbox/segment/v1/batch", data=body, content_type="application/json")
    served = client.post(
        "/sandbox/segment/v1/batch", data=body, content_type="application/json", headers=segment_auth()
    )

    assert (failed.status_code, served.status_code) == (502, 200)
    assert SandboxSegmentMessage.objects.count() == 1


@pytest.mark.django_db
def test_behaviour_is_shown(client):
    _set(client, "air", {"status": 500, "delay_ms": 5, "fail_first": 2, "retry_after": 1})

    shown = client.get("/sandbox/air/behaviour").json()

    assert shown == {
        "upstream": "air",
        "status": 500,
        "delay_ms": 5,
        "fail_first": 2,
        "failures_served": 0,
        "retry_after": 1,
    }


@pytest.mark.django_db
def test_behaviour_of_an_untouched_upstream_is_normal(client):
    shown = client.get("/sandbox/voucherify/behaviour").json()

    assert shown == {
        "upstream": "voucherify",
        "status": None,
        "delay_ms": 0,
        "fail_first": 0,
        "failures_served": 0,
        "retry_after": None,
    }
    assert SandboxBehaviour.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{oops", "The body is not valid JSON."),
        (b"[]", "The behaviour must be a JSON object."),
        (b'{"status": 700}', "status must be a whole number between 100 and 599, not 700."),
        (b'{"status": "500"}', "status must be a whole number between 100 and 599, not '500'."),
        (b'{"delay_ms": -1}', "delay_ms must be a whole number between 0 and 60000, not -1."),
        (b'{"fail_first": true}', "fail_first must be a whole number 0 or more, not True."),
        (
            b'{"fail_first_n": 2}',
            "Unknown keys fail_first_n; use delay_ms, fail_first, retry_after, status.",
        ),
    ],
)
def test_invalid_behaviour_is_refused(client, body, message):
    response = client.post("/sandbox/air/behaviour", data=body, content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {"code": "invalid_behaviour", "message": message}
    assert SandboxBehaviour.objects.count() == 0


@pytest.mark.django_db
def test_delay_is_applied(client, monkeypatch):
    slept = []
    monkeypatch.setattr("connectors.sandbox.services.time.sleep", slept.append)
    _set(client, "everflow", {"delay_ms": 250})

    response = client.get("/sandbox/everflow/?nid=1&transaction_id=t-1")

    assert response.status_code == 200
    assert slept == [0.25]


@pytest.mark.django_db
def test_failure_claims_stop_at_the_limit():
    # given two first-N failures, as a second process would see the same row
    sandbox_behaviour_set(upstream="air", status=500, fail_first=2)

    decisions = [sandbox_behaviour_take(upstream="air").fail_status for _ in range(4)]

    assert decisions == [500, 500, None, None]
    assert SandboxBehaviour.objects.get(upstream="air").failures_served == 2


@pytest.mark.django_db
def test_received_lists_each_request_with_what_was_answered(client):
    _perkville(client, "order-1")
    client.post(PERKVILLE_URL, data="{}", content_type="application/json")

    received = client.get("/sandbox/perkville/received").json()

    assert received["upstream"] == "perkville"
    assert "messages" not in received
    first, second = received["requests"]
    assert (first["method"], first["path"], first["status"]) == ("POST", PERKVILLE_URL, 201)
    assert first["body"] == {**PERKVILLE_TRANSACTION, "trans_source_id": "order-1"}
    assert first["response"]["trans_source_id"] == "order-1"
    assert (second["status"], second["response"]) == (401, None)  # Perkville's 401 has an empty body


@pytest.mark.django_db
def test_delete_received_forgets_the_upstream_and_restarts_its_failures(client):
    # given perkville has served one of two failures and everflow holds a conversion
    _set(client, "perkville", {"status": 500, "fail_first": 2})
    _perkville(client)
    client.get("/sandbox/everflow/?nid=1&transaction_id=t-1")

    # when perkville's record is deleted
    response = client.delete("/sandbox/perkville/received")

    # then it is empty, fails twice again, and everflow is untouched
    assert response.status_code == 204
    assert client.get("/sandbox/perkville/received").json()["requests"] == []
    assert [_perkville(client).status_code for _ in range(3)] == [500, 500, 201]
    assert SandboxRequest.objects.filter(upstream="everflow").count() == 1
    assert SandboxRecord.objects.filter(upstream="everflow").count() == 1


@pytest.mark.django_db
def test_delete_received_forgets_segment_messages(client):
    body = json.dumps({"batch": [{"type": "track", "event": "E", "userId": "u", "messageId": "m-1"}]})
    client.post(
        "/sandbox/segment/v1/batch", data=body, content_type="application/json", headers=segment_auth()
    )

    client.delete("/sandbox/segment/received")

    assert client.get("/sandbox/segment/received").json() == {
        "upstream": "segment",
        "requests": [],
        "messages": [],
    }


@pytest.mark.django_db
def test_unknown_upstream_is_not_found(client):
    assert client.get("/sandbox/mailchimp/received").status_code == 404


@pytest.mark.django_db
def test_wrong_method_is_refused_and_not_recorded(client):
    response = client.get(PERKVILLE_URL)

    assert response.status_code == 405
    assert SandboxRequest.objects.count() == 0
