"""EE Connect looks like a product: its name, its icon, the console at the bare address, and
error pages in its colours."""

import pytest
from django.contrib.auth.models import Group, User
from django.template.loader import render_to_string
from django.test import override_settings
from django.urls import reverse

from core.groups import SUPPORT

pytestmark = pytest.mark.django_db


def test_the_bare_address_leads_to_the_console(client):
    response = client.get("/", follow=True)

    assert response.redirect_chain[0] == ("/admin/", 302)
    assert response.redirect_chain[-1][0].startswith("/admin/login/")
    body = response.content.decode()
    assert "<title>Log in | EE Connect</title>" in body


def test_every_admin_page_carries_the_name_icon_and_colours(admin_client):
    body = admin_client.get(reverse("admin:index")).content.decode()

    assert "<title>Console | EE Connect</title>" in body
    assert '<div id="site-name"><a href="/admin/">EE Connect</a></div>' in body
    assert '<link rel="icon" type="image/svg+xml" href="/static/ee_connect/favicon.svg">' in body
    assert '<link rel="stylesheet" href="/static/ee_connect/console.css">' in body
    assert 'id="sandbox-banner"' in body  # the sandbox's banner is kept


def test_the_favicon_address_browsers_ask_for_answers(client):
    response = client.get("/favicon.ico")

    assert (response.status_code, response["Location"]) == (302, "/static/ee_connect/favicon.svg")


@override_settings(DEBUG=False)
def test_a_missing_page_is_a_branded_404(admin_client):
    response = admin_client.get("/no/such/page")

    body = response.content.decode()
    assert response.status_code == 404
    assert "<title>This page does not exist | EE Connect</title>" in body
    assert '<a href="/admin/">Back to the console</a>' in body


def test_a_missing_api_endpoint_still_answers_json(client):
    response = client.get("/api/v1/no-such-thing")

    assert response.status_code == 404
    assert response.json() == {"message": "No such endpoint.", "errors": []}


@override_settings(DEBUG=False)
def test_a_page_support_may_not_open_is_a_branded_403(client):
    user = User.objects.create_user("sam", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name=SUPPORT))
    client.force_login(user)

    response = client.get(reverse("admin:connectors_connector_add"))

    body = response.content.decode()
    assert response.status_code == 403
    assert "<title>You may not open this page | EE Connect</title>" in body


def test_the_500_page_renders_without_a_request_or_a_database(django_assert_num_queries):
    with django_assert_num_queries(0):
        body = render_to_string("500.html")

    assert "<title>Something went wrong on our side | EE Connect</title>" in body
    assert "<p>The error is logged for the team." in body  # the body is HTML, not escaped text
