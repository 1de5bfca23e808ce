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
    # each with what its type requires: track an event, group a groupId, alias a previousId
    message = {
        "userId": "u-1",
        "event": "Signed Up",
        "groupId": "g-1",
        "previousId": "a-1",
        "messageId": f"single-{message_type}",
    }

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
            "batch[0] is a track call without event.",
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


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/sandbox/segment/v1/tracks", "/sandbox/segment/v2/batch", "/sandbox/segment/batch"])
def test_a_path_segment_does_not_serve_is_not_found_and_recorded(client, url):
    response = _post(client, url, {"batch": [_track()]})

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": f"No endpoint at {url}."}
    assert SandboxSegmentMessage.objects.count() == 0
    assert [(r.path, r.status) for r in SandboxRequest.objects.all()] == [(url, 404)]


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_another_method_than_post_is_not_allowed(client, method):
    response = getattr(client, method)(BATCH_URL, headers=segment_auth())

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert response.json() == {
        "code": "method_not_allowed",
        "message": f"{method.upper()} is not allowed here; use POST.",
    }
    assert SandboxSegmentMessage.objects.count() == 0


@pytest.mark.django_db
def test_a_body_not_sent_as_json_is_refused(client):
    response = client.post(
        BATCH_URL, data=json.dumps({"batch": [_track()]}), content_type="text/plain", headers=segment_auth()
    )

    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid_content_type",
        "message": "The Content-Type header must be application/json.",
    }
    assert SandboxSegmentMessage.objects.count() == 0


@pytest.mark.django_db
def test_json_with_a_charset_is_json(client):
    response = client.post(
        BATCH_URL,
        data=json.dumps({"batch": [_track()]}),
        content_type="application/json; charset=utf-8",
        headers=segment_auth(),
    )

    assert response.status_code == 200


@pytest.mark.django_db
def test_a_misspelled_user_id_leaves_the_message_without_a_user_and_is_refused(client):
    message = {"type": "track", "event": "Order Completed", "userID": "u-1", "messageId": "m-1"}

    response = _post(client, BATCH_URL, {"batch": [message]})

    assert response.status_code == 400
    assert response.json() == {"code": "no_user_anon_id", "message": "batch[0] needs a userId or an anonymousId."}
    assert SandboxSegmentMessage.objects.count() == 0


@pytest.mark.django_db
def test_a_misspelled_message_id_is_an_extra_key_and_the_message_gets_an_id_of_its_own(client):
    # Segment keeps keys it does not know and generates a messageId for a message without one:
    # the misspelling is not refused, but the id the sender meant is not the one kept.
    message = {"type": "track", "event": "Order Completed", "userId": "u-1", "messageID": "m-meant"}

    response = _post(client, BATCH_URL, {"batch": [message]})

    assert response.status_code == 200
    kept = SandboxSegmentMessage.objects.get()
    assert kept.message_id != "m-meant"
    assert len(kept.message_id) == 36
    assert kept.message["messageID"] == "m-meant"


@pytest.mark.django_db
def test_keys_the_spec_does_not_name_are_kept_not_refused(client):
    message = _track(sentAt="2026-01-01T00:00:00Z", _metadata={"bundled": []}, loyalty_tier="Gold")

    response = _post(client, BATCH_URL, {"batch": [message], "sentAt": "2026-01-01T00:00:01Z", "extra": 1})

    assert response.status_code == 200
    assert SandboxSegmentMessage.objects.get().message["loyalty_tier"] == "Gold"


@pytest.mark.django_db
def test_a_number_is_a_user_id(client):
    response = _post(client, BATCH_URL, {"batch": [_track(userId=42)]})

    assert response.status_code == 200
    assert SandboxSegmentMessage.objects.get().user_id == "42"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"userId": True}, "batch[0].userId must be text or a number."),
        ({"anonymousId": ["a"]}, "batch[0].anonymousId must be text or a number."),
        ({"event": 7}, "batch[0].event must be text."),
        ({"messageId": 12}, "batch[0].messageId must be text."),
        ({"properties": ["total", 1]}, "batch[0].properties must be a JSON object."),
        ({"context": "web"}, "batch[0].context must be a JSON object."),
        ({"integrations": True}, "batch[0].integrations must be a JSON object."),
        ({"timestamp": "yesterday"}, "batch[0].timestamp must be an ISO-8601 date-time."),
        ({"originalTimestamp": 1700000000}, "batch[0].originalTimestamp must be an ISO-8601 date-time."),
    ],
)
def test_a_field_of_the_wrong_type_is_refused_by_name(client, extra, message):
    response = _post(client, BATCH_URL, {"batch": [_track("m-ok"), _track("m-bad", **extra)]})

    assert response.status_code == 400
    assert response.json() == {"code": "invalid_message", "message": message.replace("batch[0]", "batch[1]")}
    assert SandboxSegmentMessage.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "message", "refusal"),
    [
        ("/sandbox/segment/v1/group", {"userId": "u-1"}, "The message is a group call without groupId."),
        ("/sandbox/segment/v1/alias", {"userId": "u-1"}, "The message is an alias call without previousId."),
        ("/sandbox/segment/v1/track", {"userId": "u-1", "event": ""}, "The message is a track call without event."),
    ],
)
def test_a_call_without_what_its_type_requires_is_refused(client, url, message, refusal):
    response = _post(client, url, message)

    assert response.status_code == 400
    assert response.json() == {"code": "invalid_message", "message": refusal}
    assert SandboxSegmentMessage.objects.count() == 0


@pytest.mark.django_db
def test_a_batch_of_more_than_2500_messages_is_refused(client):
    # 2,501 messages of about 60 bytes: far under 500 KB, over Segment's count.
    batch = [{"type": "track", "event": "E", "userId": "u"}] * 2501

    response = _post(client, BATCH_URL, {"batch": batch})

    assert response.status_code == 400
    assert response.json() == {
        "code": "too_many_messages",
        "message": "The batch has 2501 messages; the limit is 2500.",
    }
    assert SandboxSegmentMessage.objects.count() == 0


@pytest.mark.django_db
def test_a_batch_context_that_is_not_an_object_is_refused(client):
    response = _post(client, BATCH_URL, {"batch": [_track()], "context": "web"})

    assert response.status_code == 400
    assert response.json() == {"code": "invalid_message", "message": "The batch's context must be a JSON object."}


def _air_out_requests():
    """Every Segment request the AIR kind builds from its sample notifications, with its default rules."""
    from connectors.kinds.base import Direction
    from connectors.kinds.registry import kind_get
    from connectors.services import connector_config
    from events.intake.receive import event_translate
    from tests.connectors.factories import ConnectorFactory

    kind = kind_get("air_segment")
    connector = ConnectorFactory()
    config = connector_config(connector)
    for name, sample in kind.samples[Direction.OUT].items():
        for incoming in kind.parse(Direction.OUT, sample, config):
            translation = event_translate(
                kind=kind, connector=connector, config=config, direction=Direction.OUT, incoming=incoming
            )
            for request in translation.requests:
                if request.destination == "segment":
                    yield name, kind.prepare(request, config)


@pytest.mark.django_db
def test_every_segment_request_the_platform_builds_is_accepted(client):
    from connectors.kinds.base import Direction
    from connectors.kinds.registry import kind_get

    sent = []
    for name, prepared in _air_out_requests():
        path = prepared.url.removeprefix("http://127.0.0.1:8000")
        headers = {key: value for key, value in prepared.headers.items() if key != "Content-Type"}

        response = client.post(path, data=prepared.body, content_type=prepared.headers["Content-Type"], headers=headers)

        assert response.status_code == 200, (name, response.json())
        sent.append(name)
    # each sample notification becomes one /v1/batch request, all of them accepted
    assert sorted(sent) == sorted(kind_get("air_segment").samples[Direction.OUT])


@pytest.mark.django_db
def test_a_single_calls_field_of_the_wrong_type_is_named_by_its_key(client):
    response = _post(client, "/sandbox/segment/v1/identify", {"userId": "u-1", "traits": ["Gold"]})

    assert response.status_code == 400
    assert response.json() == {"code": "invalid_message", "message": "traits must be a JSON object."}
    assert SandboxSegmentMessage.objects.count() == 0
