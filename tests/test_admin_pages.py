"""Every admin list page opens for integration staff and, where Support may read, for Support."""

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse

from core.groups import INTEGRATION_STAFF, SUPPORT
from tests.events.factories import DeliveryAttemptFactory

pytestmark = pytest.mark.django_db

PROJECT_APPS = ("connectors", "events", "rewards", "sandbox")


def registered():
    return [
        model
        for model in admin.site._registry
        if model._meta.app_label in PROJECT_APPS
    ]


def user_in(group_name: str):
    user = get_user_model().objects.create_user(group_name.replace(" ", "-").lower(), password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=group_name))
    return user


@pytest.mark.parametrize("model", registered(), ids=lambda m: m._meta.label)
def test_list_pages_open_for_integration_staff(client, model):
    DeliveryAttemptFactory()
    client.force_login(user_in(INTEGRATION_STAFF))

    response = client.get(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"))

    assert response.status_code in (200, 302), response.content[:500]


@pytest.mark.parametrize("model", registered(), ids=lambda m: m._meta.label)
def test_support_reads_the_log_and_no_more(client, model):
    DeliveryAttemptFactory()
    support = user_in(SUPPORT)
    client.force_login(support)
    label = model._meta.app_label

    response = client.get(reverse(f"admin:{label}_{model._meta.model_name}_changelist"))

    may_view = support.has_perm(f"{label}.view_{model._meta.model_name}")
    assert response.status_code == (200 if may_view else 403) or (may_view and response.status_code == 302)
    if label == "events" or model._meta.model_name == "rewardledgerentry":
        assert may_view


JUNK_FILTERS = {
    "connector": "abc",
    "client": "x",
    "from": "2026-11-31",
    "to": "yesterday",
    "status": "zzz",
    "direction": "sideways",
    "period": "month",
    "code": "9xx",
    "connector__id__exact": "abc",
    "client__id__exact": "abc",
    "state__exact": "zzz",
    "q": "'; DROP TABLE x; --",
}


@pytest.mark.parametrize("model", registered(), ids=lambda m: m._meta.label)
def test_no_list_page_answers_a_server_error_to_bad_filter_input(client, model):
    DeliveryAttemptFactory()
    client.force_login(user_in(INTEGRATION_STAFF))

    response = client.get(
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"), JUNK_FILTERS, follow=True
    )

    assert response.status_code in (200, 403), response.content[:500]


@pytest.mark.parametrize(
    "url",
    [
        "/admin/events/event/abc/change/",
        "/admin/events/delivery/99999/change/",
        "/admin/events/connectorhealth/abc/change/",
        "/admin/connectors/connector/abc/change/",
        "/admin/events/bulkretryjob/abc/change/",
        "/admin/events/connectorhealth/dashboard/?window=year&client=x",
    ],
)
def test_no_page_answers_a_server_error_to_a_bad_address(client, url):
    client.force_login(user_in(INTEGRATION_STAFF))

    response = client.get(url, follow=True)

    assert response.status_code == 200, response.content[:500]
