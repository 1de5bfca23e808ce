"""The admin's "send a test event": a sample of the connector's kind, with a new id, received
through the same pipeline as a webhook; refused with the reason when it cannot be used."""

import json

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from connectors.kinds.registry import kind_get
from connectors.models import Connector
from core.groups import SUPPORT
from demo.services import demo_connectors
from events.intake.sample_events import sample_body
from events.models import Delivery, Event
from tests.connectors.factories import ConnectorFactory

pytestmark = pytest.mark.django_db


def _url(connector, direction="out") -> str:
    return reverse("admin:events_event_send_test", args=[connector.pk, direction])


def _prefilled(response) -> str:
    return response.context["form"]["body"].value()


@pytest.fixture
def connector():
    return ConnectorFactory()


def test_the_page_offers_the_kinds_samples_with_a_new_event_id_each_time(admin_client, connector):
    sample = kind_get("air_segment").samples["out"]["SERVICE.WALLET.ACCOUNTS.CREATE"]

    first = admin_client.get(_url(connector), {"sample": "SERVICE.WALLET.ACCOUNTS.CREATE"})
    second = admin_client.get(_url(connector), {"sample": "SERVICE.WALLET.ACCOUNTS.CREATE"})

    assert first.status_code == 200
    assert "SERVICE.WALLET.ACCOUNTS.CREATE" in first.context["samples"]
    ids = [json.loads(_prefilled(response))["headers"]["eesEventId"] for response in (first, second)]
    assert sample["headers"]["eesEventId"] not in ids
    assert ids[0] != ids[1]
    assert json.loads(_prefilled(first))["headers"]["eventName"] == sample["headers"]["eventName"]


def test_sending_stores_translates_and_queues_it_then_shows_the_event(
    admin_client, connector, hints, django_capture_on_commit_callbacks
):
    body = _prefilled(admin_client.get(_url(connector)))

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(_url(connector), {"body": body}, follow=True)

    event = Event.objects.get(connector=connector)
    assert response.redirect_chain[-1][0] == reverse("admin:events_event_change", args=[event.pk])
    assert event.source_event_id.split(":")[0] == json.loads(body)["headers"]["eesEventId"]
    assert event.status == Event.Status.TRANSLATED
    deliveries = list(event.deliveries.all())
    assert deliveries and all(d.status == Delivery.Status.PENDING for d in deliveries)
    assert hints == [("events.deliveries_attempt", [[d.pk for d in deliveries]])]
    assert f"{len(deliveries)} request(s) queued for delivery" in response.content.decode()


def test_sending_the_same_body_again_says_it_is_a_duplicate(admin_client, connector):
    body = _prefilled(admin_client.get(_url(connector)))
    admin_client.post(_url(connector), {"body": body})

    response = admin_client.post(_url(connector), {"body": body}, follow=True)

    assert Event.objects.filter(connector=connector).count() == 1
    assert "a duplicate" in response.content.decode()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("{not json", "The body is not valid JSON"),
        (json.dumps({"headers": {"eventName": "SERVICE.WALLET.ACCOUNTS.CREATE"}}), "headers.eesEventId"),
        # Read by the webhook's own parser: what a webhook could not send, a test event cannot either.
        ('{"headers": {"eesEventId": NaN}}', "<code>headers.eesEventId</code>: NaN is not a JSON number."),
        ('{"headers": {"eventName": "A\\u0000"}}', "<code>headers.eventName</code>: The text holds \\u0000"),
    ],
    ids=["not-json", "no-event-id", "nan", "nul"],
)
def test_a_body_that_cannot_be_used_is_refused_with_the_reason_and_stores_nothing(
    admin_client, connector, body, expected
):
    response = admin_client.post(_url(connector), {"body": body})

    assert response.status_code == 200
    assert expected in response.content.decode()
    assert not Event.objects.exists()


def test_a_test_event_over_the_webhooks_byte_limit_is_refused(admin_client, connector, settings):
    settings.WEBHOOK_MAX_BODY_BYTES = 1000

    response = admin_client.post(_url(connector), {"body": json.dumps({"padding": "x" * 1000})})

    assert "The body is over the 1000 byte limit" in response.content.decode()
    assert not Event.objects.exists()


def test_a_disabled_connector_refuses_a_test_event(admin_client, connector):
    body = _prefilled(admin_client.get(_url(connector)))
    Connector.objects.filter(pk=connector.pk).update(state=Connector.State.DISABLED)

    response = admin_client.post(_url(connector), {"body": body})

    assert "This connector is disabled" in response.content.decode()
    assert not Event.objects.exists()


def test_a_paused_connector_holds_the_test_events_deliveries(admin_client, connector):
    Connector.objects.filter(pk=connector.pk).update(state=Connector.State.PAUSED)
    body = _prefilled(admin_client.get(_url(connector)))

    response = admin_client.post(_url(connector), {"body": body}, follow=True)

    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.Status.HELD}
    assert "held while the connector is paused" in response.content.decode()


def test_support_cannot_send_test_events_and_sees_no_link(client, connector):
    user = User.objects.create_user("sam", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name=SUPPORT))
    client.force_login(user)

    assert client.get(_url(connector)).status_code == 403
    assert client.post(_url(connector), {"body": "{}"}).status_code == 403
    page = client.get(reverse("admin:connectors_connector_change", args=[connector.pk]))
    assert page.status_code == 200
    assert _url(connector) not in page.content.decode()
    assert not Event.objects.exists()


def test_the_connector_page_links_each_direction_the_kind_has_samples_for(admin_client, connector):
    page = admin_client.get(reverse("admin:connectors_connector_change", args=[connector.pk])).content.decode()

    for direction in kind_get("air_segment").samples:
        assert _url(connector, direction.value) in page


def test_a_direction_without_samples_or_unknown_is_404(admin_client):
    everflow = ConnectorFactory(kind="segment_everflow", settings={}, secrets={})

    assert admin_client.get(_url(everflow, "out")).status_code == 404
    assert admin_client.get(_url(everflow, "sideways")).status_code == 404


@pytest.mark.parametrize(("kind", "kind_settings", "kind_secrets"), [row[:1] + row[2:] for row in demo_connectors()],
                         ids=[row[0] for row in demo_connectors()])
def test_every_sample_of_every_kind_is_accepted_as_sent(admin_client, kind, kind_settings, kind_secrets):
    connector = ConnectorFactory(kind=kind, settings=kind_settings, secrets=kind_secrets)
    for direction, samples in kind_get(kind).samples.items():
        for name in samples:
            body = sample_body(connector=connector, direction=direction.value, sample=name)
            response = admin_client.post(_url(connector, direction.value), {"body": body})
            assert response.status_code == 302, (direction, name, response.context and response.context["problem"])
    assert Event.objects.filter(connector=connector).count() >= 1
