"""A 500 under /api/ is the API's JSON error, not the HTML page; elsewhere the branded page."""

import pytest

from api.views import connectors as client_views

pytestmark = pytest.mark.django_db


def test_an_unhandled_error_in_the_api_is_a_json_500(staff_api, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(client_views.ClientViewSet, "list", broken)
    staff_api.raise_request_exception = False

    response = staff_api.get("/api/v1/clients/")

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"message": "Internal error: the request was not completed; it is logged.", "errors": []}
