import json

import pytest
from django.test import Client

from connectors.sandbox.credentials import EVERFLOW_API_KEY as API_KEY
from connectors.sandbox.models import SandboxRecord, SandboxRequest

pytestmark = pytest.mark.django_db

API_PATH = "/sandbox/everflow/api/v1/networks/reporting/conversions/"
API_AUTH = {"X-Eflow-API-Key": API_KEY}


def _patch(client, transaction_id: str, body, headers=API_AUTH, content_type="application/json"):
    data = body if isinstance(body, bytes) else json.dumps(body)
    return client.patch(f"{API_PATH}{transaction_id}", data=data, content_type=content_type, headers=headers)


def _conversions() -> dict[str, str]:
    return {record.key: record.data["status"] for record in SandboxRecord.objects.filter(upstream="everflow")}


def test_a_postback_with_every_documented_parameter_records_the_conversion(client):
    order = json.dumps({"oid": "o-1", "amt": 12.5, "items": [{"ps": "S-1", "qty": 1, "p": 12.5}]})
    query = {
        "nid": "1",
        "transaction_id": "tid-1",
        "adv_event_id": "3",
        "amount": "12,50",
        "order_id": "o283h08fh2390f923uofu23",
        "coupon_code": "SPRING10",
        "email": "pat@example.com",
        "user_ip": "203.0.113.7",
        "user_agent": "Mozilla/5.0",
        "affid": "7",
        "adv1": "a",
        "adv5": "e",
        "order": order,
        "app_id": "com.example.shop",
        "idfa": "IDFA",
        "verification_token": "vt",
    }

    response = client.get("/sandbox/everflow/", query)

    assert response.status_code == 200
    answer = response.json()
    assert (answer["result"], answer["transaction_id"], len(answer["conversion_id"])) == ("success", "tid-1", 32)
    recorded = SandboxRequest.objects.get()
    assert (recorded.method, recorded.query, recorded.body) == ("GET", query, None)
    assert _conversions() == {"conversion:tid-1:3": "approved"}


def test_a_postback_without_trailing_slash_is_served(client):
    assert client.get("/sandbox/everflow?nid=1&transaction_id=tid-1").status_code == 200


@pytest.mark.parametrize(
    ("query", "error"),
    [
        # Names from Everflow's conversion records and seed 002's table, which a postback does not take.
        ("conversion_user_ip=203.0.113.7", "Unknown parameter: conversion_user_ip"),
        ("http_user_agent=UA", "Unknown parameter: http_user_agent"),
        ("affiliate_id=7", "Unknown parameter: affiliate_id"),
        ("order_line_items%5B0%5D.sku=S", "Unknown parameter: order_line_items[0].sku"),
        ("app_name=Shop&carrier=EE", "Unknown parameter: app_name, carrier"),
        ("amount=ten", "Invalid value for parameter: amount"),
        ("amount=-1", "Invalid value for parameter: amount"),
        ("adv_event_id=x", "Invalid value for parameter: adv_event_id"),
        ("affid=7.5", "Invalid value for parameter: affid"),
        ("user_ip=localhost", "Invalid value for parameter: user_ip"),
        ("email=nobody", "Invalid value for parameter: email"),
        ("order=%7Bnope", "Invalid value for parameter: order"),
        ("order=%7B%22items%22%3A%5B%7B%22name%22%3A%22x%22%7D%5D%7D", "Invalid value for parameter: order"),
        ("event_id=1&adv_event_id=2", "Send event_id or adv_event_id, not both"),
    ],
)
def test_a_postback_with_a_name_or_value_everflow_would_ignore_is_refused(client, query, error):
    response = client.get(f"/sandbox/everflow/?nid=1&transaction_id=tid-1&{query}")

    assert response.status_code == 400
    assert response.json() == {"code": 0, "error": error}
    assert SandboxRecord.objects.count() == 0


def test_a_transaction_id_over_332_characters_is_refused(client):
    response = client.get(f"/sandbox/everflow/?nid=1&transaction_id={'t' * 333}")

    assert response.status_code == 400
    assert response.json() == {"code": 0, "error": "Invalid value for parameter: transaction_id"}


def test_a_repeated_conversion_of_a_click_is_a_duplicate(client):
    first = client.get("/sandbox/everflow/?nid=1&transaction_id=tid-1&adv_event_id=3")
    other_event = client.get("/sandbox/everflow/?nid=1&transaction_id=tid-1&adv_event_id=4")

    again = client.get("/sandbox/everflow/?nid=1&transaction_id=tid-1&adv_event_id=3")

    assert other_event.json()["result"] == "success"
    assert again.status_code == 200
    assert again.json() == {
        "code": 8,
        "error": "Duplicate conversion",
        "conversion_id": first.json()["conversion_id"],
    }
    assert _conversions() == {"conversion:tid-1:3": "approved", "conversion:tid-1:4": "approved"}


def test_a_postback_without_transaction_id_is_a_rejected_conversion(client):
    response = client.get("/sandbox/everflow/?nid=1&adv_event_id=3")

    assert response.status_code == 204
    assert response.content == b""
    assert SandboxRecord.objects.count() == 0
    assert SandboxRequest.objects.get().status == 204


@pytest.mark.parametrize("query", ["transaction_id=tid-1", "nid=2&transaction_id=tid-1"])
def test_a_postback_with_a_missing_or_wrong_network_id_is_refused(client, query):
    response = client.get(f"/sandbox/everflow/?{query}")

    assert response.status_code == 400
    assert response.json() == {"code": 11, "error": "Invalid network ID"}
    assert SandboxRecord.objects.count() == 0


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_a_postback_by_another_method_is_405(client, method):
    response = getattr(client, method)("/sandbox/everflow/?nid=1&transaction_id=tid-1")

    assert response.status_code == 405
    assert SandboxRecord.objects.count() == 0


@pytest.mark.parametrize(
    "path",
    ["/sandbox/everflow/postback", "/sandbox/everflow/api/v1/networks/conversions/tid-1", "/sandbox/everflow/api/"],
)
def test_any_other_path_is_404(client, path):
    response = client.get(path)

    assert response.status_code == 404
    assert response.json() == {"error": "Not found"}


def test_rejecting_a_transaction_rejects_each_of_its_conversions(client):
    client.get("/sandbox/everflow/?nid=1&transaction_id=tid-1")
    client.get("/sandbox/everflow/?nid=1&transaction_id=tid-1&adv_event_id=24")
    client.get("/sandbox/everflow/?nid=1&transaction_id=tid-2")

    response = _patch(client, "tid-1", {"conversion_status": "rejected"})

    assert response.status_code == 200
    assert response.json() == {"result": True}
    assert _conversions() == {
        "conversion:tid-1:0": "rejected",
        "conversion:tid-1:24": "rejected",
        "conversion:tid-2:0": "approved",
    }
    recorded = SandboxRequest.objects.last()
    assert (recorded.method, recorded.path, recorded.body) == (
        "PATCH",
        f"{API_PATH}tid-1",
        {"conversion_status": "rejected"},
    )


def test_a_transaction_id_is_one_escaped_path_segment(client):
    client.get("/sandbox/everflow/", {"nid": "1", "transaction_id": "t 1"})

    response = _patch(client, "t%201", {"conversion_status": "rejected"})

    assert response.status_code == 200
    assert _conversions() == {"conversion:t 1:0": "rejected"}


def test_rejecting_a_transaction_without_conversions_is_404(client):
    response = _patch(client, "tid-9", {"conversion_status": "rejected"})

    assert response.status_code == 404
    assert response.json() == {"error": "No conversion found for this transaction id"}


@pytest.mark.parametrize("headers", [{}, {"X-Eflow-API-Key": "wrong"}, {"Authorization": f"Bearer {API_KEY}"}])
def test_the_api_refuses_a_missing_or_wrong_key(client, headers):
    client.get("/sandbox/everflow/?nid=1&transaction_id=tid-1")

    response = _patch(client, "tid-1", {"conversion_status": "rejected"}, headers=headers)

    assert response.status_code == 401
    assert response.json() == {"error": "Invalid API key"}
    assert _conversions() == {"conversion:tid-1:0": "approved"}


@pytest.mark.parametrize(
    ("body", "content_type", "error"),
    [
        ({"status": "rejected"}, "application/json", 'The body must be exactly {"conversion_status": ...}'),
        (
            {"conversion_status": "rejected", "conversion_ids": ["c"]},
            "application/json",
            'The body must be exactly {"conversion_status": ...}',
        ),
        ({"conversion_status": "pending"}, "application/json", "conversion_status must be approved or rejected"),
        ({"conversion_status": ["rejected"]}, "application/json", "conversion_status must be approved or rejected"),
        (b"{", "application/json", "The body is not valid JSON"),
        (b"conversion_status=rejected", "application/x-www-form-urlencoded", "Content-Type must be application/json"),
    ],
)
def test_the_api_refuses_a_body_other_than_the_documented_one(client, body, content_type, error):
    client.get("/sandbox/everflow/?nid=1&transaction_id=tid-1")

    response = _patch(client, "tid-1", body, content_type=content_type)

    assert response.status_code == 400
    assert response.json() == {"error": error}
    assert _conversions() == {"conversion:tid-1:0": "approved"}


@pytest.mark.parametrize("method", ["get", "post", "put", "delete"])
def test_the_status_update_by_another_method_is_405(client, method):
    response = getattr(client, method)(f"{API_PATH}tid-1", headers=API_AUTH)

    assert response.status_code == 405


def test_the_api_is_served_without_a_csrf_token_as_a_partner_api_is():
    client = Client(enforce_csrf_checks=True)
    client.get("/sandbox/everflow/?nid=1&transaction_id=tid-1")

    status_update = _patch(client, "tid-1", {"conversion_status": "rejected"})
    elsewhere = client.post("/sandbox/everflow/api/v2/anything")

    assert (status_update.status_code, elsewhere.status_code) == (200, 404)
