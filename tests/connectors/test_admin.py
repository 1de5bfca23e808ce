import re

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.messages import get_messages
from django.urls import reverse

from connectors.kinds.base import FieldType
from connectors.kinds.registry import kind_get, kinds
from connectors.kinds.validation import SettingsInvalid
from connectors.models import AuthToken, Client, Connector
from connectors.services import connector_state_set, connector_update
from connectors.tokens import token_issue, token_verify
from core.crypto import secrets_decrypt
from core.groups import INTEGRATION_STAFF, SUPPORT
from events.models import Delivery
from tests.connectors.factories import AIR_SECRETS, AIR_SETTINGS, ClientFactory, ConnectorFactory, UserFactory
from tests.events.factories import DeliveryFactory

CHANGELIST_URL = reverse("admin:connectors_connector_changelist")

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:connectors_connector_add")


def _change_url(connector):
    return reverse("admin:connectors_connector_change", args=[connector.pk])


def _air_form(client, **overrides):
    data = {
        "client": client.pk,
        "name": "AIR UAT",
        "environment": "UAT",
        **{key: value for key, value in AIR_SETTINGS.items() if not isinstance(value, bool)},
        **{key: "on" for key, value in AIR_SETTINGS.items() if value is True},
        "air_client_secret": "s3cret-air-value",
        "segment_write_key": "wk-secret-value",
        "tokens-TOTAL_FORMS": "0",
        "tokens-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(group=INTEGRATION_STAFF))
    return client


@pytest.fixture
def support_client(client):
    client.force_login(UserFactory(group=SUPPORT))
    return client


def test_add_without_kind_shows_the_kind_picker(staff_client):
    response = staff_client.get(ADD_URL, {"client": "7"})

    assert response.status_code == 200
    assert response.templates[0].name == "admin/connectors/connector/kind_pick.html"
    html = response.content.decode()
    assert "Eagle Eye AIR ⇄ Segment" in html
    assert "?client=7&amp;kind=air_segment" in html


def test_add_form_renders_the_kinds_fields_not_a_json_box(staff_client):
    response = staff_client.get(ADD_URL, {"kind": "air_segment"})

    html = response.content.decode()
    assert response.status_code == 200
    assert '<input type="password" name="air_client_secret" autocomplete="new-password"' in html
    assert re.search(r'<input type="checkbox" name="send_identify"[^>]*checked', html)
    assert re.search(r'<select name="segment_region"', html)
    assert 'name="settings"' not in html
    assert "AIR wallet domain URL" in html


def test_staff_adds_a_connector_with_encrypted_secrets(staff_client):
    owner = ClientFactory()

    response = staff_client.post(f"{ADD_URL}?kind=air_segment", _air_form(owner))

    assert response.status_code == 302, response.content.decode()[:3000]
    connector = Connector.objects.get()
    assert connector.kind == "air_segment"
    assert connector.client == owner
    assert connector.settings["currency"] == "GBP"
    assert "s3cret-air-value" not in connector.secrets_encrypted
    assert secrets_decrypt(connector.secrets_encrypted) == {
        "air_client_secret": "s3cret-air-value",
        "segment_write_key": "wk-secret-value",
    }
    assert connector.created_by is not None


def test_add_with_a_bad_currency_shows_the_rule_on_the_field_and_creates_nothing(staff_client):
    owner = ClientFactory()

    response = staff_client.post(f"{ADD_URL}?kind=air_segment", _air_form(owner, currency="US"))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "currency": ["'US' is not an ISO 4217 currency code (three letters, such as USD or GBP)."]
    }
    assert Connector.objects.count() == 0


def test_change_page_never_renders_secret_values(staff_client):
    connector = ConnectorFactory()

    response = staff_client.get(_change_url(connector))

    html = response.content.decode()
    assert response.status_code == 200
    for value in AIR_SECRETS.values():
        assert value not in html
    assert html.count("Set; leave blank to keep it.") == 2
    assert f"/in/segment/{connector.public_id}" in html
    assert f"/out/segment/{connector.public_id}" in html


def test_change_with_blank_secrets_keeps_them_and_history_holds_no_secret(staff_client):
    connector = ConnectorFactory()
    form = _air_form(connector.client, air_client_secret="", segment_write_key="rotated-write-key")
    form["currency"] = "EUR"
    del form["client"]

    response = staff_client.post(_change_url(connector), form)

    assert response.status_code == 302, response.context["adminform"].form.errors
    connector.refresh_from_db()
    assert connector.settings["currency"] == "EUR"
    assert secrets_decrypt(connector.secrets_encrypted) == {
        "air_client_secret": AIR_SECRETS["air_client_secret"],
        "segment_write_key": "rotated-write-key",
    }
    entry = LogEntry.objects.get(object_id=str(connector.pk))
    assert "Segment write key" in entry.get_change_message()
    assert "rotated-write-key" not in entry.change_message
    assert AIR_SECRETS["air_client_secret"] not in entry.change_message


def test_support_sees_a_read_only_connector_without_secrets_or_token_buttons(support_client):
    connector = ConnectorFactory()

    response = support_client.get(_change_url(connector))

    html = response.content.decode()
    assert response.status_code == 200
    for value in AIR_SECRETS.values():
        assert value not in html
    assert "Segment write key" not in html
    assert "Set; leave blank" not in html
    assert 'type="password"' not in html
    assert 'name="currency"' not in html
    assert "issue-token" not in html
    assert "register-key" not in html
    assert "<th>Currency</th><td>GBP</td>" in html
    assert f"/in/segment/{connector.public_id}" in html


def test_support_cannot_change_a_connector(support_client):
    connector = ConnectorFactory(name="Before")

    response = support_client.post(_change_url(connector), _air_form(connector.client, name="After"))

    assert response.status_code == 403
    connector.refresh_from_db()
    assert connector.name == "Before"
    assert secrets_decrypt(connector.secrets_encrypted) == AIR_SECRETS


def test_support_cannot_issue_a_token(support_client):
    connector = ConnectorFactory()
    url = reverse("admin:connectors_connector_issue_token", args=[connector.pk, "in"])

    response = support_client.post(url)

    assert response.status_code == 403
    assert AuthToken.objects.count() == 0


def test_support_cannot_open_the_add_page(support_client):
    assert support_client.get(ADD_URL).status_code == 403
    assert support_client.get(ADD_URL, {"kind": "air_segment"}).status_code == 403


def test_issuing_a_token_shows_it_once_and_keeps_only_its_prefix(staff_client):
    connector = ConnectorFactory()
    url = reverse("admin:connectors_connector_issue_token", args=[connector.pk, "in"])

    confirm = staff_client.get(url)
    issued = staff_client.post(url, {"label": "Segment production"}, follow=True)
    later = staff_client.get(_change_url(connector))

    assert confirm.status_code == 200
    assert AuthToken.objects.count() == 1
    token = AuthToken.objects.get()
    plaintext = issued.context["issued"]["plaintext"]
    assert plaintext in issued.content.decode()
    assert "It will not be shown again" in issued.content.decode()
    assert "no-store" in issued["Cache-Control"].split(", ")
    assert (token.direction, token.label, token.connector) == ("in", "Segment production", connector)
    assert plaintext not in later.content.decode()
    assert token.prefix in later.content.decode()
    assert plaintext not in LogEntry.objects.get(object_id=str(connector.pk)).change_message


# 28 characters drawn at random once: a key a client generated.
CLIENT_KEY = "pV7#qL2x!Rn9@tK4wZ8^mD3sHf6B"


def test_registering_the_clients_key_keeps_only_its_hash_and_never_shows_it(staff_client):
    connector = ConnectorFactory()
    url = reverse("admin:connectors_connector_register_key", args=[connector.pk, "out"])

    form = staff_client.get(url)
    registered = staff_client.post(url, {"value": CLIENT_KEY, "label": "Acme's AIR"}, follow=True)

    token = AuthToken.objects.get()
    html = registered.content.decode()
    assert form.status_code == 200
    assert 'type="password" name="value"' in form.content.decode()
    assert registered.redirect_chain == [(_change_url(connector), 302)]
    assert (token.direction, token.label, token.connector) == ("out", "Acme's AIR", connector)
    assert f"The client&#x27;s out key is registered as {token.prefix}" in html
    assert CLIENT_KEY not in html
    assert CLIENT_KEY not in LogEntry.objects.get(object_id=str(connector.pk)).change_message
    assert token_verify(connector=connector, direction="out", presented=CLIENT_KEY).pk == token.pk


def test_a_guessable_key_is_refused_with_the_reason_and_not_echoed(staff_client):
    connector = ConnectorFactory()
    url = reverse("admin:connectors_connector_register_key", args=[connector.pk, "in"])
    guessable = "correcthorsebatterystaple"

    response = staff_client.post(url, {"value": guessable, "label": "Acme"})

    html = response.content.decode()
    assert response.status_code == 400
    assert "Client's key: This key is guessable: it is made of dictionary words" in html
    assert guessable not in html
    assert 'value="Acme"' in html
    assert AuthToken.objects.count() == 0


def test_support_cannot_register_a_key(support_client):
    connector = ConnectorFactory()
    url = reverse("admin:connectors_connector_register_key", args=[connector.pk, "in"])

    response = support_client.post(url, {"value": CLIENT_KEY})

    assert response.status_code == 403
    assert AuthToken.objects.count() == 0


def test_issue_token_for_an_unknown_direction_is_not_found(staff_client):
    connector = ConnectorFactory()
    url = reverse("admin:connectors_connector_issue_token", args=[connector.pk, "sideways"])

    assert staff_client.post(url).status_code == 404
    assert AuthToken.objects.count() == 0


@pytest.mark.parametrize(
    ("action", "state"),
    [("connectors_pause", "paused"), ("connectors_disable", "disabled")],
)
def test_state_actions_change_the_selected_connectors_and_report(staff_client, action, state):
    chosen, other = ConnectorFactory(), ConnectorFactory()

    response = staff_client.post(CHANGELIST_URL, {"action": action, "_selected_action": [chosen.pk]})

    assert response.status_code == 302
    chosen.refresh_from_db()
    other.refresh_from_db()
    assert (chosen.state, other.state) == (state, "active")
    done = {"paused": "paused", "disabled": "disabled"}[state]
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        f"1 connector(s) {done}; 0 already {done}."
    ]


def test_enable_action_reports_connectors_already_active(staff_client):
    paused = ConnectorFactory(state="paused")
    active = ConnectorFactory()

    response = staff_client.post(
        CHANGELIST_URL, {"action": "connectors_enable", "_selected_action": [paused.pk, active.pk]}
    )

    paused.refresh_from_db()
    assert paused.state == "active"
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "1 connector(s) enabled; 1 already enabled."
    ]


def test_enable_releases_a_paused_connector_s_held_deliveries_at_once(staff_client):
    paused = ConnectorFactory()
    DeliveryFactory(event__connector=paused)
    connector_state_set(connector=paused, state=Connector.State.PAUSED)
    assert Delivery.objects.get().status == Delivery.Status.HELD

    response = staff_client.post(CHANGELIST_URL, {"action": "connectors_enable", "_selected_action": [paused.pk]})

    # Released by Enable itself, not left for the sweeper (Resume on the health page did the same).
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.next_trigger) == (Delivery.Status.PENDING, "resume")
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "1 connector(s) enabled; 0 already enabled. 1 held deliveries released."
    ]


@pytest.mark.parametrize("action", ["connectors_pause", "connectors_disable"])
def test_pause_and_disable_hold_the_due_deliveries_and_say_so(staff_client, action):
    connector = ConnectorFactory()
    due = [DeliveryFactory(event__connector=connector) for _ in range(2)]
    other = DeliveryFactory()

    response = staff_client.post(CHANGELIST_URL, {"action": action, "_selected_action": [connector.pk]})

    assert {d.status for d in Delivery.objects.filter(pk__in=[d.pk for d in due])} == {Delivery.Status.HELD}
    assert Delivery.objects.get(pk=other.pk).status == Delivery.Status.PENDING
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert message.endswith(" 2 due deliveries held.")


def test_support_has_no_state_actions(support_client):
    connector = ConnectorFactory()

    response = support_client.post(
        CHANGELIST_URL, {"action": "connectors_disable", "_selected_action": [connector.pk]}
    )

    connector.refresh_from_db()
    assert connector.state == "active"
    assert response.status_code == 200
    assert "connectors_disable" not in response.content.decode()


def test_revoke_action_on_the_token_list(staff_client):
    connector = ConnectorFactory()
    chosen = token_issue(connector=connector, direction="in").token
    kept = token_issue(connector=connector, direction="out").token

    response = staff_client.post(
        reverse("admin:connectors_authtoken_changelist"),
        {"action": "tokens_revoke", "_selected_action": [chosen.pk]},
    )

    chosen.refresh_from_db()
    kept.refresh_from_db()
    assert chosen.revoked_at is not None
    assert kept.revoked_at is None
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["1 token(s) revoked."]


def test_client_add_and_change_page_lists_its_connectors(staff_client):
    form = {"name": "Shop", "slug": "shop", "notes": "", "active": "on"}
    inline = {"connectors-TOTAL_FORMS": "0", "connectors-INITIAL_FORMS": "0"}

    response = staff_client.post(reverse("admin:connectors_client_add"), {**form, **inline})
    owner = Client.objects.get()
    connector = ConnectorFactory(client=owner)
    page = staff_client.get(reverse("admin:connectors_client_change", args=[owner.pk])).content.decode()

    assert response.status_code == 302
    assert owner.slug == "shop"
    assert connector.name in page
    assert f"{ADD_URL}?client={owner.pk}" in page


@pytest.mark.parametrize("kind", list(kinds()))
def test_only_mapping_settings_get_a_json_textarea_and_secrets_a_password_input(staff_client, kind):
    fields = kind_get(kind).fields
    mappings = [f.key for f in fields if f.type is FieldType.MAPPING]

    html = staff_client.get(ADD_URL, {"kind": kind}).content.decode()

    assert re.findall(r'<textarea name="(\w+)"', html) == mappings
    assert re.findall(r'<input type="password" name="(\w+)"', html) == [f.key for f in fields if f.is_secret]


def test_add_everflow_with_invalid_json_names_the_mapping_field(staff_client):
    owner = ClientFactory()
    form = {
        "client": owner.pk,
        "name": "Everflow",
        "tracking_domain": "https://track.example.com",
        "network_id": "7",
        "event_map": "{not json",
    }

    response = staff_client.post(f"{ADD_URL}?kind=segment_everflow", form)

    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["event_map"]
    assert Connector.objects.count() == 0


def _everflow_form(**overrides):
    form = {
        "name": "Everflow",
        "tracking_domain": "https://track.example.com",
        "network_id": "7",
        "event_map": '{"Order Completed": 0}',
        "tokens-TOTAL_FORMS": "0",
        "tokens-INITIAL_FORMS": "0",
        **overrides,
    }
    return {key: value for key, value in form.items() if value is not None}


def test_add_everflow_stores_the_mapping(staff_client):
    owner = ClientFactory()

    response = staff_client.post(f"{ADD_URL}?kind=segment_everflow", _everflow_form(client=owner.pk))

    assert response.status_code == 302
    settings = Connector.objects.get().settings
    assert settings["tracking_domain"] == "https://track.example.com"
    assert settings["event_map"] == {"Order Completed": 0}


def _everflow():
    return ConnectorFactory(
        kind="segment_everflow",
        settings={"tracking_domain": "https://track.example.com", "network_id": 7, "event_map": {"Order Completed": 0}},
        secrets={"verification_token": "verify-me"},
    )


def test_an_optional_secret_is_cleared_with_its_box_and_kept_without_it(staff_client):
    connector = _everflow()
    page = staff_client.get(_change_url(connector)).content.decode()
    assert 'name="verification_token_clear"' in page
    assert 'name="air_client_secret_clear"' not in staff_client.get(_change_url(ConnectorFactory())).content.decode()

    kept = staff_client.post(_change_url(connector), _everflow_form())
    assert kept.status_code == 302, kept.context["adminform"].form.errors
    connector.refresh_from_db()
    assert secrets_decrypt(connector.secrets_encrypted) == {"verification_token": "verify-me"}

    cleared = staff_client.post(_change_url(connector), _everflow_form(verification_token_clear="on"))
    assert cleared.status_code == 302, cleared.context["adminform"].form.errors
    connector.refresh_from_db()
    assert secrets_decrypt(connector.secrets_encrypted) == {}


def test_clearing_a_secret_while_entering_a_new_one_is_refused_and_changes_nothing(staff_client):
    connector = _everflow()

    response = staff_client.post(
        _change_url(connector), _everflow_form(verification_token="new", verification_token_clear="on")
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "verification_token_clear": ["Enter a new value or clear the stored one, not both."]
    }
    connector.refresh_from_db()
    assert secrets_decrypt(connector.secrets_encrypted) == {"verification_token": "verify-me"}


def test_the_service_refuses_to_clear_a_required_secret_naming_it():
    connector = ConnectorFactory()

    with pytest.raises(SettingsInvalid) as raised:
        connector_update(connector=connector, secrets_cleared=["segment_write_key"])

    assert list(raised.value.errors) == ["segment_write_key"]
    connector.refresh_from_db()
    assert secrets_decrypt(connector.secrets_encrypted) == AIR_SECRETS


def test_staff_sets_the_destination_rate_on_add_and_change(staff_client):
    owner = ClientFactory()

    staff_client.post(f"{ADD_URL}?kind=air_segment", _air_form(owner, destination_rate_per_second="5"))
    connector = Connector.objects.get()
    assert connector.destination_rate_per_second == 5

    form = _air_form(owner, destination_rate_per_second="12", air_client_secret="", segment_write_key="")
    del form["client"]
    response = staff_client.post(_change_url(connector), form)

    assert response.status_code == 302, response.context["adminform"].form.errors
    connector.refresh_from_db()
    assert connector.destination_rate_per_second == 12
