"""The connector's page as a hub: its URLs and tokens (only the directions its kind has), its
health and the ways into its log, pause and resume; an issued token shown once, whatever the
browser does."""

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.urls import reverse

from connectors.models import AuthToken, Connector
from connectors.tokens import token_issue
from core.groups import INTEGRATION_STAFF, SUPPORT
from events.models import Delivery, MappingRuleSet
from tests.connectors.factories import ConnectorFactory, UserFactory
from tests.events.test_console_factories import DeliveryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(group=INTEGRATION_STAFF))
    return client


def _page(client, connector) -> str:
    response = client.get(reverse("admin:connectors_connector_change", args=[connector.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_reloading_the_issued_token_page_shows_nothing_and_issues_nothing(staff_client):
    connector = ConnectorFactory()
    url = reverse("admin:connectors_connector_issue_token", args=[connector.pk, "in"])

    posted = staff_client.post(url, {"label": "Segment production"})
    shown = staff_client.get(posted["Location"])
    reloaded = staff_client.get(posted["Location"], follow=True)

    assert posted.status_code == 302
    assert posted["Location"] == reverse("admin:connectors_connector_token_issued", args=[connector.pk, "in"])
    plaintext = shown.context["issued"]["plaintext"]
    assert plaintext in shown.content.decode()
    assert "no-store" in shown["Cache-Control"].split(", ")
    assert AuthToken.objects.count() == 1  # the reload issued nothing
    assert plaintext not in reloaded.content.decode()
    assert [str(m) for m in reloaded.context["messages"]] == [
        "An issued token is shown only once and is not kept. If it was not copied, revoke it "
        "(Webhook tokens, below) and issue another."
    ]
    assert LogEntry.objects.filter(object_id=str(connector.pk)).count() == 1


def test_a_one_way_connector_shows_and_issues_only_its_inbound_url(staff_client):
    connector = ConnectorFactory(kind="segment_everflow", settings={"network_id": "1"})

    body = _page(staff_client, connector)
    outbound_token = staff_client.post(
        reverse("admin:connectors_connector_issue_token", args=[connector.pk, "out"]), {"label": "x"}
    )

    assert f"/in/segment/{connector.public_id}" in body
    assert f"/out/segment/{connector.public_id}" not in body
    assert "Issue inbound token" in body
    assert "Issue outbound token" not in body
    assert "Register client&#x27;s outbound key" not in body
    assert outbound_token.status_code == 404
    assert AuthToken.objects.count() == 0


def test_a_one_way_connector_s_other_url_answers_404(client):
    connector = ConnectorFactory(kind="segment_perkville", settings={})
    token = token_issue(connector=ConnectorFactory(), direction="out").plaintext

    response = client.post(
        f"/out/segment/{connector.public_id}", b"{}", content_type="application/json", HTTP_X_AUTH_TOKEN=token
    )

    assert response.status_code == 404
    assert response.json() == {"message": "This connector has no outbound URL"}


def test_a_two_way_connector_shows_both_urls(staff_client):
    connector = ConnectorFactory()

    body = _page(staff_client, connector)

    assert f"/in/segment/{connector.public_id}" in body
    assert f"/out/segment/{connector.public_id}" in body
    assert "Issue outbound token" in body


def test_the_connector_page_leads_to_its_log_health_dashboard_and_rules(staff_client):
    connector = ConnectorFactory()
    DeliveryFactory(event__connector=connector, status=Delivery.Status.FAILED, last_error="Segment answered 400")
    rule_set = MappingRuleSet.objects.create(connector=connector, direction="out")

    body = _page(staff_client, connector)

    pk = connector.pk
    for label, url in [
        ("Events", f"/admin/events/event/?connector={pk}"),
        ("Deliveries", f"/admin/events/delivery/?connector={pk}"),
        ("Failures", f"/admin/events/delivery/?connector={pk}&amp;status=failed"),
        ("Dashboard", f"/admin/events/connectorhealth/dashboard/?connector={pk}"),
        ("Health", f"/admin/events/connectorhealth/{pk}/change/"),
        ("Mapping rules", f"/admin/events/mappingruleset/{rule_set.pk}/change/"),
    ]:
        assert f'<a href="{url}" class="button">{label}</a>' in body
    assert "Segment answered 400" in body  # the last error


def test_pause_and_resume_from_the_connector_page(staff_client):
    connector = ConnectorFactory()
    page = reverse("admin:connectors_connector_change", args=[connector.pk])
    body = _page(staff_client, connector)
    pause = reverse("admin:events_connectorhealth_pause", args=[connector.pk])

    response = staff_client.post(f"{pause}?next={page}")

    assert f'formaction="{pause}?next=%2Fadmin%2Fconnectors%2Fconnector%2F{connector.pk}%2Fchange%2F"' in body
    assert response["Location"] == page
    assert Connector.objects.get(pk=connector.pk).state == Connector.State.PAUSED
    assert ">Resume</button>" in _page(staff_client, connector)


def test_support_sees_the_hub_and_may_pause(client):
    client.force_login(UserFactory(group=SUPPORT))
    connector = ConnectorFactory()

    body = _page(client, connector)

    assert 'id="connector-hub"' in body
    assert ">Pause</button>" in body  # Support holds events.retry_delivery, which pausing needs


def test_who_may_not_retry_is_shown_no_pause(client):
    user = UserFactory()
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_connector", "view_delivery"]))
    client.force_login(user)
    connector = ConnectorFactory()

    body = _page(client, connector)

    assert 'id="connector-hub"' in body
    assert "ee-state-change" not in body


def test_the_connector_page_names_directions_in_words_and_does_not_link_to_itself(staff_client):
    connector = ConnectorFactory()

    body = _page(staff_client, connector)
    test_page = staff_client.get(reverse("admin:events_event_send_test", args=[connector.pk, "in"])).content.decode()

    assert ">Send a test inbound event</a>" in body
    assert ">Send a test outbound event</a>" in body
    assert ">Settings and tokens</a>" not in body  # the page itself
    assert "An inbound event for <strong>" in test_page
