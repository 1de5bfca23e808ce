import json

import pytest

from connectors.sandbox.models import SandboxRequest, SandboxSegmentMessage
from tests.connectors.sandbox.conftest import segment_auth

BATCH_URL = "/sandbox/segment/v1/batch"


def _track(message_id: str = "m-1", **extra) -> dict:
    return {"type": "track", "event": "Order Completed", "userId": "u-1", "messageId": message_id, **extra}


def _post(client, url: str, payload, *, headers=None):
    body = payload if isinstance(payload, bytes) else json.dumps(payload)
    return client.post(url, data=body, content_type="application/json", headers=headers or segment_auth())


@pytest.mark.django_db
def test_batch_with_basic_auth_is_accepted_and_each_message_kept(client):
    identify = {"type": "identify", "userId": "u-1", "messageId": "m-2", "traits": {"tier": "Gold"}}

    response = _post(client, BATCH_URL, {"batch": [_track("m-1"), identify]})

    assert response.status_code == 200
    assert response.json() == {"success": True}
    assert [
        (m.message_id, m.type, m.event, m.user_id, m.duplicate_count)
        for m in SandboxSegmentMessage.objects.all()
    ] == [
        ("m-1", "track", "Order Completed", "u-1", 0),
        ("m-2", "identify", "", "u-1", 0),
    ]
    assert SandboxRequest.objects.get().status == 200


@pytest.mark.django_db
def test_write_key_in_the_body_is_enough(client):
    response = _post(client, BATCH_URL, {"batch": [_track()], "writeKey": "sandbox-write-key"}, headers={})

    assert response.status_code == 200
    assert SandboxSegmentMessage.objects.count() == 1


@pytest.mark.django_db
def test_batch_context_is_merged_into_each_message(client):
    payload = {"batch": [_track(context={"ip": "10.0.0.1"})], "context": {"library": {"name": "ee-connect"}}}

    _post(client, BATCH_URL, payload)

    assert SandboxSegmentMessage.objects.get().message["context"] == {
        "library": {"name": "ee-connect"},
        "ip": "10.0.0.1",
    }


@pytest.mark.django_db
def test_repeated_message_id_is_kept_once_and_counted(client):
    _post(client, BATCH_URL, {"batch": [_track("m-1", properties={"total": 1})]})

    response = _post(client, BATCH_URL, {"batch": [_track("m-1", properties={"total": 2}), _track("m-3")]})

    assert response.status_code == 200
    first, other = SandboxSegmentMessage.objects.all()
    assert (first.message_id, first.duplicate_count, first.message["properties"]) == ("m-1", 1, {"total": 1})
    assert (other.message_id, other.duplicate_count) == ("m-3", 0)
    assert SandboxRequest.objects.count() == 2


@pytest.mark.django_db
def test_message_without_message_id_gets_one(client):
    message = _track()
    del message["messageId"]

    _post(client, BATCH_URL, {"batch": [message]})

    assert len(SandboxSegmentMessage.objects.get().message_id) == 36


@pytest.mark.django_db
@pytest.mark.parametrize("message_type", ["track", "identify", "page", "screen", "group", "alias"])
def test_single_calls_take_their_type_from_the_path(client, message_type):
    message = {"userId": "u-1", "event": "Signed Up", "messageId": f"single-{message_type}"}

    response = _post(client, f"/sandbox/segment/v1/{message_type}", message)

    assert response.status_code == 200
    assert SandboxSegmentMessage.objects.get().type == message_type


@pytest.mark.django_db
def test_single_call_does_not_keep_the_write_key(client):
    _post(
        client, "/sandbox/segment/v1/identify", {"userId": "u-1", "writeKey": "sandbox-write-key"}, headers={}
    )

    assert "writeKey" not in SandboxSegmentMessage.objects.get().message


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("headers", "payload", "message"),
    [
        ({}, {"batch": [_track()]}, "No write key: send HTTP Basic auth or writeKey in the body."),
        (segment_auth("wrong-key"), {"batch": [_track()]}, "Invalid write key."),
        ({}, {"batch": [_track()], "writeKey": "wrong-key"}, "Invalid write key."),
        (
            {"Authorization": "Basic not-base64!"},
            {"batch": [_track()]},
            "No write key: send HTTP Basic auth or writeKey in the body.",
        ),
    ],
)
def test_missing_or_wrong_write_key_is_refused(client, headers, payload, message):
    response = client.post(
        BATCH_URL, data=json.dumps(payload), content_type="application/json", headers=headers
    )

    assert response.status_code == 401
    assert response.json() == {"code": "unauthorized", "message": message}
    assert SandboxSegmentMessage.objects.count() == 0
    assert SandboxRequest.objects.get().status == 401


@pytest.mark.django_db
def test_message_over_32_kb_is_refused(client):
    big = _track(properties={"note": "x" * (33 * 1024)})

    response = _post(client, BATCH_URL, {"batch": [_track("m-ok"), big]})

    assert response.status_code == 400
    assert response.json()["code"] == "message_too_large"
    assert response.json()["message"].startswith("batch[1] is ")
    assert SandboxSegmentMessage.objects.count() == 0


@pytest.mark.django_db
def test_single_call_over_32_kb_is_refused(client):
    response = _post(client, "/sandbox/segment/v1/track", _track(properties={"note": "x" * (33 * 1024)}))

    assert response.status_code == 400
    assert response.json()["code"] == "request_too_large"
    assert SandboxSegmentMessage.objects.count() == 0


@pytest.mark.django_db
def test_batch_over_500_kb_is_refused(client):
    # 17 messages of 30 KB each: every one is within its limit, together they pass 501 KB
    batch = [_track(f"m-{n}", properties={"note": "x" * (30 * 1024)}) for n in range(17)]
    body = json.dumps({"batch": batch}).encode()
    assert len(body) > 501 * 1024

    response = _post(client, BATCH_URL, body)

    assert response.status_code == 400
    assert response.json()["code"] == "request_too_large"
    assert SandboxSegmentMessage.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("payload", "code", "message"),
    [
        (b"{not json", "invalid_json", "The body is not valid JSON."),
        (b"[1, 2]", "invalid_json", "The body must be a JSON object."),
        ({"batch": []}, "invalid_message", "A batch needs a non-empty 'batch' list."),
        (
            {"batch": [{"userId": "u-1"}]},
            "invalid_message",
            "batch[0] needs a type, one of identify, track, page, screen, group, alias.",
        ),
        (
            {"batch": [{"type": "track", "event": "E"}]},
            "no_user_anon_id",
            "batch[0] needs a userId or an anonymousId.",
        ),
        (
            {"batch": [{"type": "track", "userId": "u"}]},
            "invalid_message",
            "batch[0] is a track call without an event name.",
        ),
        (
            {"batch": [_track("m" * 100)]},
            "invalid_message",
            "batch[0] has a messageId of 100 characters or more.",
        ),
        ({"batch": ["text"]}, "invalid_message", "batch[0] is not a JSON object."),
    ],
)
def test_unusable_body_is_refused_whole(client, payload, code, message):
    response = _post(client, BATCH_URL, payload)

    assert response.status_code == 400
    assert response.json() == {"code": code, "message": message}
    assert SandboxSegmentMessage.objects.count() == 0


@pytest.mark.django_db
def test_anonymous_id_is_enough(client):
    response = _post(client, BATCH_URL, {"batch": [{"type": "page", "anonymousId": "a-1", "name": "Home"}]})

    assert response.status_code == 200
    assert SandboxSegmentMessage.objects.get().user_id == ""


@pytest.mark.django_db
def test_received_lists_requests_and_messages_oldest_first(client):
    _post(client, BATCH_URL, {"batch": [_track("m-1")]})
    _post(client, BATCH_URL, {"batch": [_track("m-1"), _track("m-2")]})

    received = client.get("/sandbox/segment/received").json()

    assert received["upstream"] == "segment"
    assert [r["body"]["batch"][-1]["messageId"] for r in received["requests"]] == ["m-1", "m-2"]
    assert received["requests"][0]["path"] == BATCH_URL
    assert received["requests"][0]["headers"]["Authorization"] == segment_auth()["Authorization"]
    assert [(m["message_id"], m["duplicate_count"]) for m in received["messages"]] == [("m-1", 1), ("m-2", 0)]
