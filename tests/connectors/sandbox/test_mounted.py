"""The sandbox answers only while SANDBOX_ENABLED, read per request."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/sandbox/segment/v1/batch", "/sandbox/segment/received", "/sandbox/air/behaviour"])
def test_with_the_sandbox_off_its_urls_are_not_found(client, settings, path):
    settings.SANDBOX_ENABLED = False

    assert client.post(path, data="{}", content_type="application/json").status_code == 404
    assert client.get(path).status_code == 404


def test_with_the_sandbox_on_its_urls_answer(client, settings):
    settings.SANDBOX_ENABLED = True

    assert client.get("/sandbox/segment/received").status_code == 200
