import hashlib
import json

import pytest

from connectors.kinds.air_segment.auth import air_auth_hash, air_auth_headers, air_auth_verify
from connectors.sandbox.air import POINTS_PER_TRIGGER
from connectors.sandbox.models import SandboxRecord, SandboxRequest
from tests.connectors.sandbox.conftest import AIR_TRIGGER_PATH, trigger_body

EE_DOCS_VECTOR = (
    "/wallet/555555",
    b"",
    "0987654321",
    "76e132ab2154bb7139258b65134ddaf74c12a4242ce136b87a7335292fddc068",
)
EC_TEST_VECTOR = (
    "/some/path",
    b'{"some":"arbitrary","json":"data"}',
    "some-secret",
    "01ec08cfb3aa78bc8fcec38ed1d4298d3c44eb7b19647e817c30b7ff628bb180",
)


@pytest.mark.parametrize(("path", "body", "secret", "expected"), [EE_DOCS_VECTOR, EC_TEST_VECTOR])
def test_published_vectors_verify(path, body, secret, expected):
    assert air_auth_verify(path_and_query=path, body=body, client_secret=secret, presented=expected)
    assert air_auth_hash(url=f"https://eagleeye.com{path}", body=body, client_secret=secret) == expected
    assert not air_auth_verify(
        path_and_query=path, body=body + b" ", client_secret=secret, presented=expected
    )


@pytest.mark.django_db
@pytest.mark.urls("tests.connectors.sandbox.vector_urls")
@pytest.mark.parametrize(("path", "body", "secret", "expected"), [EE_DOCS_VECTOR, EC_TEST_VECTOR])
def test_published_vectors_pass_the_sandbox_authentication(client, monkeypatch, path, body, secret, expected):
    # given the sandbox holds the vector's secret and the vector's path routes to it
    monkeypatch.setattr("connectors.sandbox.air.AIR_CLIENT_SECRET", secret)
    headers = {"X-EES-AUTH-CLIENT-ID": "ee-connect-sandbox", "X-EES-AUTH-HASH": expected}

    # when the request carrying the published hash arrives
    response = client.post(path, data=body, content_type="application/json", headers=headers)

    # then authentication passes and only the body is refused (a vector's body is no trigger)
    assert response.status_code == 400
    assert response.json()["errorCode"] in {"INVALID_JSON", "VALIDATION_ERROR"}


@pytest.mark.django_db
def test_signed_trigger_answers_a_settled_points_transaction(client):
    # given a body signed by hand over the path as received, the exact bytes and the secret
    body = trigger_body(identity="1111111111111131", reference="PurchaseTest31a")
    digest = hashlib.sha256(AIR_TRIGGER_PATH.encode() + body + b"sandbox-air-secret").hexdigest()
    headers = {"X-EES-AUTH-CLIENT-ID": "ee-connect-sandbox", "X-EES-AUTH-HASH": digest}

    # when it is posted
    response = client.post(AIR_TRIGGER_PATH, data=body, content_type="application/json", headers=headers)

    # then AIR's 201 wallet transaction comes back
    assert response.status_code == 201
    transaction = response.json()
    assert transaction["reference"] == "PurchaseTest31a"
    assert transaction["type"] == "BEHAVIOURAL_ACTION_POINTS"
    assert transaction["status"] == "SETTLED"
    assert transaction["walletTransactionId"].isdigit()
    assert transaction["walletId"].isdigit()
    assert [(a["account"]["type"], a["event"], a["value"]) for a in transaction["accounts"]] == [
        ("BEHAVIOURAL_ACTION", "CREATE", 0),
        ("BEHAVIOURAL_ACTION", "REDEEM", POINTS_PER_TRIGGER),
        ("POINTS", "CREDIT", POINTS_PER_TRIGGER),
    ]
    assert transaction["accounts"][2]["balancesAfter"] == {"current": 100, "lifetime": 100}
    assert transaction["basket"]["summary"]["points"]["totalPointsGiven"] == POINTS_PER_TRIGGER
    recorded = SandboxRequest.objects.get()
    assert (recorded.upstream, recorded.path, recorded.status) == ("air", AIR_TRIGGER_PATH, 201)
    assert recorded.body == json.loads(body)


@pytest.mark.django_db
def test_query_string_is_part_of_the_hash(air_post):
    response = air_post(trigger_body(), path=f"{AIR_TRIGGER_PATH}?unit=1")

    assert response.status_code == 201
    assert SandboxRequest.objects.get().path == f"{AIR_TRIGGER_PATH}?unit=1"


@pytest.mark.django_db
def test_a_repeated_reference_is_refused_and_credits_nothing(air_post):
    first = air_post(trigger_body(reference="order-7"))

    second = air_post(trigger_body(reference="order-7"))

    assert first.status_code == 201
    assert (second.status_code, second.json()) == (
        400,
        {"errorCode": "DUPLICATE_REFERENCE", "errorMessage": "Wallet transaction reference 'order-7' already exists."},
    )
    assert [record.data for record in SandboxRecord.objects.all()] == [first.json()]
    assert SandboxRequest.objects.count() == 2


@pytest.mark.django_db
def test_a_reference_another_wallet_used_is_refused_too(air_post):
    air_post(trigger_body(identity="card-1", reference="order-8"))

    second = air_post(trigger_body(identity="card-2", reference="order-8"))

    # The strictest reading of "a unique reference": unique across wallets, not per wallet.
    assert (second.status_code, second.json()["errorCode"]) == (400, "DUPLICATE_REFERENCE")
    assert SandboxRecord.objects.count() == 1


@pytest.mark.django_db
def test_one_identity_keeps_its_wallet_and_its_balance_grows(air_post):
    first = air_post(trigger_body(identity="card-9", reference="order-1")).json()

    second = air_post(trigger_body(identity="card-9", reference="order-2", triggers=("A", "B"))).json()

    assert second["walletId"] == first["walletId"]
    assert second["walletTransactionId"] != first["walletTransactionId"]
    assert second["accounts"][-1]["balancesBefore"] == {"current": 100, "lifetime": 100}
    assert second["accounts"][-1]["balancesAfter"] == {"current": 300, "lifetime": 300}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "signing",
    [
        {"secret": "wrong-secret"},
        {"client_id": "someone-else"},
        {"path": "/services/trigger"},  # hashed without the prefix the request really has
    ],
)
def test_bad_credentials_are_refused(client, signing):
    body = trigger_body()
    headers = air_auth_headers(
        url=f"http://testserver{signing.get('path', AIR_TRIGGER_PATH)}",
        body=body,
        client_id=signing.get("client_id", "ee-connect-sandbox"),
        client_secret=signing.get("secret", "sandbox-air-secret"),
    )

    response = client.post(AIR_TRIGGER_PATH, data=body, content_type="application/json", headers=headers)

    assert response.status_code == 401
    assert response.json()["errorCode"] == "UNAUTHORISED"
    assert SandboxRecord.objects.count() == 0
    assert SandboxRequest.objects.get().status == 401


@pytest.mark.django_db
def test_missing_auth_headers_are_refused(client):
    response = client.post(AIR_TRIGGER_PATH, data=trigger_body(), content_type="application/json")

    assert response.status_code == 401
    assert SandboxRecord.objects.count() == 0


@pytest.mark.django_db
def test_body_changed_after_signing_is_refused(client):
    headers = air_auth_headers(
        url=f"http://testserver{AIR_TRIGGER_PATH}",
        body=trigger_body(reference="a"),
        client_id="ee-connect-sandbox",
        client_secret="sandbox-air-secret",
    )

    response = client.post(
        AIR_TRIGGER_PATH, data=trigger_body(reference="b"), content_type="application/json", headers=headers
    )

    assert response.status_code == 401
    assert SandboxRecord.objects.count() == 0


@pytest.mark.django_db
def test_invalid_body_names_every_bad_field(air_post):
    body = json.dumps({"triggers": [{"reference": ""}], "identityValue": " "}).encode()

    response = air_post(body)

    assert response.status_code == 400
    assert response.json() == {
        "errorCode": "VALIDATION_ERROR",
        "errorMessage": "Validation error",
        "errors": [
            {"path": "identityValue", "message": "Required: a non-empty identity value."},
            {"path": "triggers[0].reference", "message": "Required: the action reference."},
            {"path": "walletTransaction.reference", "message": "Required: a unique reference."},
        ],
    }
    assert SandboxRecord.objects.count() == 0


@pytest.mark.django_db
def test_empty_trigger_list_is_refused(air_post):
    body = json.dumps(
        {"walletTransaction": {"reference": "r"}, "triggers": [], "identityValue": "1"}
    ).encode()

    response = air_post(body)

    assert response.status_code == 400
    assert response.json()["errors"] == [{"path": "triggers", "message": "Required: at least one trigger."}]


@pytest.mark.django_db
def test_body_that_is_not_json_is_refused(air_post):
    response = air_post(b"walletTransaction=1")

    assert response.status_code == 400
    assert response.json()["errorCode"] == "INVALID_JSON"
    assert SandboxRecord.objects.count() == 0
    assert SandboxRequest.objects.get().body == "walletTransaction=1"


@pytest.mark.django_db
def test_unknown_identity_is_not_found(air_post):
    response = air_post(trigger_body(identity="unknown-customer-1"))

    assert response.status_code == 404
    assert response.json() == {
        "errorCode": "NF",
        "errorMessage": "No wallet has the identity 'unknown-customer-1'.",
    }
    assert SandboxRecord.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_another_method_than_post_is_not_allowed(client, method):
    response = getattr(client, method)(AIR_TRIGGER_PATH)

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert response.json() == {
        "errorCode": "METHOD_NOT_ALLOWED",
        "errorMessage": f"{method.upper()} is not allowed; use POST.",
    }
    assert SandboxRecord.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/sandbox/air/service/trigger", "/sandbox/air/services/trigger/", "/sandbox/air/trigger"]
)
def test_a_path_air_does_not_serve_is_not_found_and_recorded(air_post, path):
    response = air_post(trigger_body(), path=path)

    assert response.status_code == 404
    assert response.json() == {"errorCode": "NOT_FOUND", "errorMessage": f"No endpoint at {path}."}
    assert SandboxRecord.objects.count() == 0
    assert [(r.path, r.status) for r in SandboxRequest.objects.all()] == [(path, 404)]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (
            {"identityvalue": "1111", "triggers": [{"reference": "P1"}], "walletTransaction": {"reference": "r"}},
            [{"path": "identityValue", "message": "Required: a non-empty identity value."}],
        ),
        (
            {"identityValue": "1111", "trigger": [{"reference": "P1"}], "walletTransaction": {"reference": "r"}},
            [{"path": "triggers", "message": "Required: at least one trigger."}],
        ),
        (
            {"identityValue": "1111", "triggers": [{"Reference": "P1"}], "walletTransaction": {"reference": "r"}},
            [{"path": "triggers[0].reference", "message": "Required: the action reference."}],
        ),
        (
            {"identityValue": "1111", "triggers": [{"reference": "P1"}], "walletTransaction": {"ref": "r"}},
            [{"path": "walletTransaction.reference", "message": "Required: a unique reference."}],
        ),
        (
            {"identityValue": "1111", "triggers": [{"reference": "P1"}], "wallettransaction": {"reference": "r"}},
            [{"path": "walletTransaction.reference", "message": "Required: a unique reference."}],
        ),
    ],
)
def test_a_misspelled_key_leaves_its_field_missing_and_is_refused(air_post, body, errors):
    response = air_post(json.dumps(body).encode())

    assert response.status_code == 400
    assert response.json() == {"errorCode": "VALIDATION_ERROR", "errorMessage": "Validation error", "errors": errors}
    assert SandboxRecord.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (
            {"identityValue": 1111, "triggers": [{"reference": "P1"}], "walletTransaction": {"reference": "r"}},
            [{"path": "identityValue", "message": "Must be text, not int."}],
        ),
        (
            {"identityValue": "1111", "triggers": {"reference": "P1"}, "walletTransaction": {"reference": "r"}},
            [{"path": "triggers", "message": "Must be a list of triggers."}],
        ),
        (
            {"identityValue": "1111", "triggers": ["P1"], "walletTransaction": {"reference": "r"}},
            [{"path": "triggers[0]", "message": "Must be an object with a reference."}],
        ),
        (
            {"identityValue": "1111", "triggers": [{"reference": 2}], "walletTransaction": {"reference": "r"}},
            [{"path": "triggers[0].reference", "message": "Must be text, not int."}],
        ),
        (
            {"identityValue": "1111", "triggers": [{"reference": "P1"}], "walletTransaction": "r"},
            [{"path": "walletTransaction", "message": "Must be an object with a reference."}],
        ),
        (
            {"identityValue": "1111", "triggers": [{"reference": "P1"}], "walletTransaction": {"reference": 7}},
            [{"path": "walletTransaction.reference", "message": "Must be text, not int."}],
        ),
    ],
)
def test_a_field_of_the_wrong_type_is_refused_by_name(air_post, body, errors):
    response = air_post(json.dumps(body).encode())

    assert response.status_code == 400
    assert response.json()["errors"] == errors
    assert SandboxRecord.objects.count() == 0


@pytest.mark.django_db
def test_keys_air_does_not_use_are_not_refused(air_post):
    body = json.loads(trigger_body(reference="order-extra"))
    body["walletTransaction"]["meta"] = {"channel": "web"}

    response = air_post(json.dumps(body).encode())

    assert response.status_code == 201
    assert response.json()["reference"] == "order-extra"


@pytest.mark.django_db
def test_the_trigger_the_platform_builds_from_segments_sample_is_accepted(client):
    from connectors.kinds.base import Direction
    from connectors.kinds.registry import kind_get
    from connectors.services import connector_config
    from events.intake.receive import event_translate
    from tests.connectors.factories import ConnectorFactory

    kind = kind_get("air_segment")
    connector = ConnectorFactory()
    config = connector_config(connector)
    [incoming] = kind.parse(Direction.IN, kind.samples[Direction.IN]["services/trigger"], config)
    [request] = event_translate(
        kind=kind, connector=connector, config=config, direction=Direction.IN, incoming=incoming
    ).requests
    prepared = kind.prepare(request, config)
    headers = {key: value for key, value in prepared.headers.items() if key != "Content-Type"}

    response = client.post(
        prepared.url.removeprefix("http://127.0.0.1:8000"),
        data=prepared.body,
        content_type=prepared.headers["Content-Type"],
        headers=headers,
    )

    assert response.status_code == 201, response.json()
    assert response.json()["reference"] == request.body["walletTransaction"]["reference"]
