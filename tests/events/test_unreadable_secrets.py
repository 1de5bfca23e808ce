"""A connector whose secrets no key in ENCRYPTION_KEYS decrypts (a key dropped too soon): events
are still accepted and stored, deliveries held with the reason and never failed, /readyz names the
connector, its admin page opens so the secrets can be entered again."""

import copy
import json
import uuid

import pytest
import responses
from cryptography.fernet import Fernet
from django.urls import reverse

from connectors.kinds.base import Direction
from connectors.kinds.registry import kind_get
from connectors.services import SECRETS_UNREADABLE, connector_config, connector_update
from connectors.tokens import token_issue
from core.groups import INTEGRATION_STAFF
from events.console.actions import deliveries_retry_now, event_replay
from events.delivery.deliver import delivery_attempt
from events.intake.receive import events_receive
from events.models import Delivery, Event
from tests.connectors.factories import AIR_SECRETS, ConnectorFactory, UserFactory
from tests.events.factories import DeliveryFactory

pytestmark = pytest.mark.django_db
OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()
SANDBOX_BATCH = "http://127.0.0.1:8000/sandbox/segment/v1/batch"


@pytest.fixture
def broker_up(monkeypatch):
    class Connection:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def ensure_connection(self, **kwargs):
            return self

    monkeypatch.setattr("events.delivery.queue.current_app.connection_for_write", Connection)


def _locked_out(settings, **factory_args):
    """A connector whose secrets were encrypted with a key since dropped from ENCRYPTION_KEYS."""
    settings.ENCRYPTION_KEYS = [OLD_KEY]
    connector = ConnectorFactory(**factory_args)
    settings.ENCRYPTION_KEYS = [NEW_KEY]
    return connector


def _notification():
    body = copy.deepcopy(kind_get("air_segment").samples[Direction.OUT]["SERVICE.WALLET.ACCOUNTS.CREATE"])
    body["headers"]["eesEventId"] = str(uuid.uuid4())
    return body


def test_the_config_of_such_a_connector_has_no_secrets_and_says_why(settings):
    connector = _locked_out(settings)

    config = connector_config(connector)

    assert (dict(config.secrets), config.secrets_unreadable) == ({}, SECRETS_UNREADABLE)


def test_its_webhook_is_accepted_and_stored_with_the_deliveries_held_with_the_reason(
    settings, client, django_capture_on_commit_callbacks
):
    connector = _locked_out(settings)
    token = token_issue(connector=connector, direction="out").plaintext

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            f"/out/segment/{connector.public_id}", data=json.dumps(_notification()),
            content_type="application/json", HTTP_X_AUTH_TOKEN=token,
        )

    assert response.status_code == 200
    event = Event.objects.get()
    assert event.status == Event.Status.TRANSLATED
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.last_error, delivery.next_attempt_at) == (
        Delivery.Status.HELD, SECRETS_UNREADABLE, None
    )
    assert callbacks == []  # nothing to hint: a held delivery is not due


def test_a_replay_of_its_event_is_held_with_the_reason_too(settings, hints, django_capture_on_commit_callbacks):
    """A replay builds its deliveries as intake builds every event's: held while the secrets are lost."""
    connector = _locked_out(settings)
    [received] = events_receive(connector=connector, direction="out", payload=_notification())
    hints.clear()

    with django_capture_on_commit_callbacks(execute=True):
        [replayed] = event_replay(event=received.event)

    assert (replayed.status, replayed.last_error, replayed.next_attempt_at) == (
        Delivery.Status.HELD, SECRETS_UNREADABLE, None
    )
    assert hints == []  # nothing to hint: a held delivery is not due


def test_a_signed_webhook_of_such_a_connector_is_503_and_stores_nothing(settings, client):
    # Voucherify's signature is checked with a stored secret: unknowable until it is decrypted again.
    settings.ENCRYPTION_KEYS = [OLD_KEY]
    connector = ConnectorFactory(
        kind="voucherify_segment",
        settings={"segment_region": "EU", "voucherify_api_url": "https://api.voucherify.io", "voucherify_app_id": "a"},
        secrets={"voucherify_webhook_secret": "whsec-1", "segment_write_key": "wk-1", "voucherify_app_token": "t"},
    )
    settings.ENCRYPTION_KEYS = [NEW_KEY]

    response = client.post(
        f"/out/segment/{connector.public_id}", data="{}", content_type="application/json",
        HTTP_X_VOUCHERIFY_SIGNATURE="00",
    )

    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert response.json() == {
        "message": "This connector's secrets cannot be decrypted, so the signature cannot be checked; retry later"
    }
    assert Event.objects.count() == 0


def test_a_due_delivery_of_such_a_connector_is_held_with_the_reason_never_failed(settings):
    connector = _locked_out(settings)
    delivery = DeliveryFactory(event__connector=connector, url=SANDBOX_BATCH)

    with responses.RequestsMock():  # any request sent would raise: none may be
        first = delivery_attempt(delivery_id=delivery.pk)
        deliveries_retry_now(delivery_ids=[delivery.pk])  # support retries it by hand
        second = delivery_attempt(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert first == second == Delivery.Status.HELD
    assert (delivery.status, delivery.attempts, delivery.last_error) == (Delivery.Status.HELD, 0, SECRETS_UNREADABLE)
    assert not delivery.attempt_log.exists()


def test_readyz_names_such_connectors_by_admin_id_until_their_secrets_are_entered_again(settings, client, broker_up):
    locked = _locked_out(settings)
    fine = ConnectorFactory()

    down = client.get("/readyz")
    connector_update(connector=locked, secrets=dict(AIR_SECRETS))
    up = client.get("/readyz")

    assert down.status_code == 503
    assert down.json() == {
        "status": "unavailable",
        "down": {
            "connector_secrets": "1 connector(s) have secrets no key in ENCRYPTION_KEYS decrypts "
            f"(admin ids {locked.pk}): put back the key that encrypted them, or enter their secrets again"
        },
    }
    assert fine.pk != locked.pk
    assert str(locked.public_id) not in down.content.decode()
    assert (up.status_code, up.json()) == (200, {"status": "ready"})


def test_readyz_names_at_most_20_and_counts_the_rest(settings, client, broker_up):
    locked = [_locked_out(settings) for _ in range(22)]

    message = client.get("/readyz").json()["down"]["connector_secrets"]

    shown = ", ".join(str(connector.pk) for connector in locked[:20])
    assert message.startswith(
        f"22 connector(s) have secrets no key in ENCRYPTION_KEYS decrypts (admin ids {shown} and 2 more)"
    )


def test_the_admin_page_of_such_a_connector_opens_and_takes_the_secrets_again(settings, client):
    connector = _locked_out(settings)
    client.force_login(UserFactory(group=INTEGRATION_STAFF))
    url = reverse("admin:connectors_connector_change", args=[connector.pk])

    page = client.get(url)
    form = page.context["adminform"].form
    data = {**{name: form[name].value() for name in form.fields if form[name].value() is not None},
            "air_client_secret": "new-air-secret", "segment_write_key": "new-write-key",
            "tokens-TOTAL_FORMS": "0", "tokens-INITIAL_FORMS": "0"}
    data = {key: ("on" if value is True else value) for key, value in data.items() if value is not False}
    saved = client.post(url, data)

    assert page.status_code == 200
    html = page.content.decode()
    assert f"{SECRETS_UNREADABLE}." in html.replace("&#x27;", "'")
    assert "Stored, but no key in ENCRYPTION_KEYS decrypts it: enter it again." in html
    assert saved.status_code == 302
    connector.refresh_from_db()
    assert dict(connector_config(connector).secrets) == {
        "air_client_secret": "new-air-secret", "segment_write_key": "new-write-key"
    }
