"""Input is taken as the schema says it or refused naming the field; nothing is guessed."""

import pytest

from connectors.models import Client
from events.models import BulkRetryJob, Delivery
from tests.events.factories import DeliveryFactory

pytestmark = pytest.mark.django_db

INVALID = "The request is invalid: see errors."


def test_a_number_where_text_is_expected_is_refused_not_read_as_text(staff_api):
    body = {"name": "Retailer", "slug": "retailer", "notes": 0}

    response = staff_api.post("/api/v1/clients/", body, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "message": INVALID, "errors": [{"path": "notes", "message": "Must be text, not a number."}]
    }
    assert not Client.objects.exists()


def test_a_secret_that_is_not_text_is_refused(staff_api):
    response = staff_api.post(
        "/api/v1/connectors/",
        {"client": 1, "kind": "air_segment", "name": "AIR", "secrets": {"segment_write_key": 12}},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"path": "secrets.segment_write_key", "message": "Must be text, not a number."}
    ]


def test_a_misspelt_bulk_retry_filter_is_refused_rather_than_retrying_everything(staff_api):
    DeliveryFactory(status=Delivery.Status.FAILED)

    response = staff_api.post("/api/v1/bulk-retries/", {"conector": 7}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == [{"path": "conector", "message": "Unknown or read-only field."}]
    assert not BulkRetryJob.objects.exists()


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ("status=", [{"path": "status", "message": "Give a value or leave the parameter out."}]),
        ("status=failed&status=pending", [{"path": "status", "message": "Give this parameter once."}]),
        ("stauts=failed", [{"path": "stauts", "message": "Unknown parameter."}]),
        ("limit=0", [{"path": "limit", "message": "A whole number from 1 to 200, given once."}]),
        ("cursor=abc", [{"path": "cursor", "message": "Not a cursor: follow a page's next or previous link."}]),
        (
            "connector=1000000000000000000",
            [{"path": "connector", "message": "Ensure this value is less than or equal to 999999999999999999."}],
        ),
    ],
)
def test_a_bad_query_parameter_is_refused_naming_it(support_api, query, errors):
    response = support_api.get(f"/api/v1/deliveries/?{query}")

    assert response.status_code == 400
    assert response.json() == {"message": INVALID, "errors": errors}


def test_pages_follow_the_next_link_newest_first(support_api):
    deliveries = DeliveryFactory.create_batch(3)

    first = support_api.get("/api/v1/deliveries/", {"limit": 2}).json()
    second = support_api.get(first["next"]).json()

    newest_first = [d.pk for d in sorted(deliveries, key=lambda d: (d.created_at, d.pk), reverse=True)]
    assert [d["id"] for d in first["results"] + second["results"]] == newest_first
    assert second["next"] is None


def test_an_id_too_long_for_the_database_is_no_path(support_api):
    response = support_api.get("/api/v1/deliveries/1000000000000000000/")

    assert response.status_code == 404
    assert response.json() == {"message": "No such endpoint.", "errors": []}
