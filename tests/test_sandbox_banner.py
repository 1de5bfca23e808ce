"""While the sandbox is mounted, every admin page says so: fake upstreams that record what they receive."""

import pytest

from tests.connectors.factories import UserFactory

pytestmark = pytest.mark.django_db
BANNER = "Sandbox on: fake AIR, Segment, Voucherify, Everflow and Perkville upstreams are mounted under /sandbox/"


def test_the_login_page_and_the_admin_index_show_the_banner_while_the_sandbox_is_on(client, settings):
    settings.SANDBOX_ENABLED = True
    login = client.get("/admin/login/")
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    index = client.get("/admin/")

    assert (login.status_code, index.status_code) == (200, 200)
    assert BANNER in login.content.decode()
    assert BANNER in index.content.decode()
    assert "record every request they receive" in index.content.decode()


def test_no_banner_with_the_sandbox_off(client, settings):
    settings.SANDBOX_ENABLED = False
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    index = client.get("/admin/")

    assert index.status_code == 200
    assert "sandbox-banner" not in index.content.decode()
    assert ">EE Connect</a>" in index.content.decode()  # the rest of the header is the product's own
