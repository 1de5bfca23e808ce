import json

import pytest

from connectors.sandbox.models import SandboxRecord, SandboxRequest

PERKVILLE_AUTH = {"Authorization": "Bearer sandbox-perkville-token"}
PERKVILLE_URL = "/sandbox/perkville/v2/transactions/"


def _post(client, url: str, payload, headers):
    body = payload if isinstance(payload, bytes) else json.dumps(payload)
    return client.post(url, data=body, content_type="application/json", headers=headers)


@pytest.mark.django_db
def test_perkville_transaction_is_recorded_with_an_id(client):
    payload = {"trans_source_id": "order-1", "perk": 123, "email": "ann@example.com", "quantity": 2}

    response = _post(client, PERKVILLE_URL, payload, PERKVILLE_AUTH)

    assert response.status_code == 201
    transaction = response.json()
    assert isinstance(transaction["id"], int)
    assert {key: transaction[key] for key in payload} == payload
    assert SandboxRequest.objects.get().headers["Authorization"] == "Bearer sandbox-perkville-token"


@pytest.mark.django_db
def test_perkville_repeated_source_id_answers_the_first_transaction(client):
    first = _post(client, PERKVILLE_URL, {"trans_source_id": "order-1", "quantity": 2}, PERKVILLE_AUTH)

    again = _post(client, PERKVILLE_URL, {"trans_source_id": "order-1", "quantity": 5}, PERKVILLE_AUTH)

    assert again.status_code == 200
    assert again.json() == first.json()
    assert SandboxRecord.objects.filter(upstream="perkville").count() == 1


@pytest.mark.django_db
def test_perkville_without_source_id_records_each_transaction(client):
    _post(client, PERKVILLE_URL, {"quantity": 1}, PERKVILLE_AUTH)

    response = _post(client, "/sandbox/perkville/v2/transactions", {"quantity": 1}, PERKVILLE_AUTH)

    assert response.status_code == 201
    assert SandboxRecord.objects.filter(upstream="perkville").count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "sandbox-perkville-token"}]
)
def test_perkville_refuses_a_missing_or_wrong_token(client, headers):
    response = _post(client, PERKVILLE_URL, {"trans_source_id": "order-1"}, headers)

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid or missing bearer token."}
    assert SandboxRecord.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("payload", "detail"),
    [(b"not json", "The body is not valid JSON."), (b'"text"', "The body must be a JSON object.")],
)
def test_perkville_refuses_unusable_bodies(client, payload, detail):
    response = _post(client, PERKVILLE_URL, payload, PERKVILLE_AUTH)

    assert response.status_code == 400
    assert response.json() == {"detail": detail}
    assert SandboxRecord.objects.count() == 0
