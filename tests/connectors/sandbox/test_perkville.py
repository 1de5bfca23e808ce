import json

import pytest
from django.test import Client

from connectors.sandbox.models import SandboxRecord, SandboxRequest

pytestmark = pytest.mark.django_db

AUTH = {"Authorization": "Bearer sandbox-perkville-token"}
URL = "/sandbox/perkville/v2/transactions/"
TRANSACTION = {
    "business": 1001,
    "location": 2001,
    "perk": 3001,
    "quantity": 9.99,
    "email": "example@example.com",
    "send_email": False,
    "trans_source_id": "segment-3001-order-o283h08fh2390f923uofu23",
}


def _post(client, payload, headers=AUTH, url=URL, content_type="application/json"):
    body = payload if isinstance(payload, bytes) else json.dumps(payload)
    return client.post(url, data=body, content_type=content_type, headers=headers)


def test_a_transaction_is_recorded_with_an_id(client):
    response = _post(client, TRANSACTION)

    assert response.status_code == 201
    transaction = response.json()
    assert isinstance(transaction["id"], int)
    assert {key: transaction[key] for key in TRANSACTION} == TRANSACTION
    recorded = SandboxRequest.objects.get()
    assert (recorded.method, recorded.path, recorded.body) == ("POST", URL, TRANSACTION)
    assert recorded.headers["Authorization"] == "Bearer sandbox-perkville-token"
    assert SandboxRecord.objects.filter(upstream="perkville").count() == 1


def test_a_negative_quantity_and_the_once_a_day_limit_are_accepted(client):
    response = _post(client, {**TRANSACTION, "quantity": -3, "limit_to_once_per_calendar_day": True})

    assert response.status_code == 201


def test_a_repeated_trans_source_id_is_refused_and_awards_nothing(client):
    first = _post(client, TRANSACTION)

    again = _post(client, {**TRANSACTION, "quantity": 5})

    assert first.status_code == 201
    assert again.status_code == 400
    assert again.json() == {
        "transactions": {"trans_source_id": ["Transaction with this Trans source id already exists."]}
    }
    assert SandboxRecord.objects.filter(upstream="perkville").count() == 1


def test_the_same_trans_source_id_in_another_business_is_another_transaction(client):
    _post(client, TRANSACTION)

    response = _post(client, {**TRANSACTION, "business": 1002})

    assert response.status_code == 201
    assert SandboxRecord.objects.filter(upstream="perkville").count() == 2


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        ({"perk_id": 3001}, {"perk_id": ["Unknown field."]}),
        ({"customer_email": "a@example.com"}, {"customer_email": ["Unknown field."]}),
        ({"business": "1001"}, {"business": ["A whole number (the business id) is required."]}),
        ({"location": 20.5}, {"location": ["A whole number (the location id) is required."]}),
        ({"perk": True}, {"perk": ["A whole number (the perk id) is required."]}),
        ({"quantity": "9.99"}, {"quantity": ["A number is required."]}),
        ({"email": "nobody"}, {"email": ["Enter a valid email address."]}),
        ({"send_email": "false"}, {"send_email": ["Must be true or false."]}),
        ({"trans_source_id": ""}, {"trans_source_id": ["This field is required."]}),
        ({"limit_to_once_per_calendar_day": 1}, {"limit_to_once_per_calendar_day": ["Must be true or false."]}),
    ],
)
def test_an_unknown_or_wrongly_typed_field_is_refused_naming_it(client, change, errors):
    response = _post(client, {**TRANSACTION, **change})

    assert response.status_code == 400
    assert response.json() == {"transactions": errors}
    assert SandboxRecord.objects.count() == 0


def test_every_missing_field_is_named(client):
    response = _post(client, {"quantity": 1})

    assert response.status_code == 400
    assert response.json() == {
        "transactions": {
            name: ["This field is required."]
            for name in ("business", "location", "perk", "email", "send_email", "trans_source_id")
        }
    }


@pytest.mark.parametrize(
    ("payload", "content_type", "error"),
    [
        (b"not json", "application/json", "The body is not valid JSON."),
        (b'"text"', "application/json", "The body must be a JSON object."),
        (b"perk=1", "application/x-www-form-urlencoded", "The body must be sent as application/json."),
    ],
)
def test_an_unreadable_body_is_refused(client, payload, content_type, error):
    response = _post(client, payload, content_type=content_type)

    assert response.status_code == 400
    assert response.json() == {"error": error}
    assert SandboxRecord.objects.count() == 0


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "sandbox-perkville-token"}]
)
def test_a_missing_or_wrong_token_is_401_with_an_empty_body(client, headers):
    response = _post(client, TRANSACTION, headers=headers)

    assert response.status_code == 401
    assert response.content == b""
    assert SandboxRecord.objects.count() == 0


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_another_method_is_405(client, method):
    response = getattr(client, method)(URL, headers=AUTH)

    assert response.status_code == 405
    assert SandboxRecord.objects.count() == 0


@pytest.mark.parametrize(
    "url", ["/sandbox/perkville/v2/transactions", "/sandbox/perkville/v1/transactions/", "/sandbox/perkville/v2/"]
)
def test_another_path_is_404(client, url):
    response = _post(client, TRANSACTION, url=url)

    assert response.status_code == 404
    assert response.json() == {"error": "Not found."}
    assert SandboxRecord.objects.count() == 0


def test_the_api_is_served_without_a_csrf_token_as_a_partner_api_is():
    client = Client(enforce_csrf_checks=True)

    created = _post(client, TRANSACTION)
    elsewhere = _post(client, TRANSACTION, url="/sandbox/perkville/v2/transaction/")

    assert (created.status_code, elsewhere.status_code) == (201, 404)
