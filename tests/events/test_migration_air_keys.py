"""The migration that re-keys stored AIR notifications by notification (events 0011)."""

import copy
import importlib

import pytest
from django.apps import apps

from connectors.kinds.air_segment import KIND
from connectors.kinds.air_segment.parse_out import notification_key
from connectors.kinds.base import Direction
from connectors.tokens import token_issue
from events.models import Event
from tests.connectors.factories import ConnectorFactory
from tests.events.factories import EventFactory

pytestmark = pytest.mark.django_db
rekey = importlib.import_module("events.migrations.0011_air_notification_keys")._rekey


def test_stored_air_notifications_get_their_notification_key_and_others_are_left_alone():
    connector = ConnectorFactory()
    payload = copy.deepcopy(KIND.samples[Direction.OUT]["WALLET.ACCOUNT.CREATE.CAMPAIGN"])
    event_id = payload["headers"]["eesEventId"]
    keyed = EventFactory(connector=connector, direction="out", source_event_id=event_id, payload=payload)
    pruned = EventFactory(connector=connector, direction="out", source_event_id="pruned-1", payload=None)
    inbound = EventFactory(connector=connector, direction="in", source_event_id="ref-1", payload={"type": "x"})

    rekey(apps, None)

    keyed.refresh_from_db()
    assert keyed.source_event_id == notification_key(payload)
    assert keyed.source_event_id.startswith(f"{event_id}:")
    assert Event.objects.get(pk=pruned.pk).source_event_id == "pruned-1"
    assert Event.objects.get(pk=inbound.pk).source_event_id == "ref-1"


def test_a_redelivery_after_the_migration_is_still_a_duplicate(client):
    connector = ConnectorFactory()
    token = token_issue(connector=connector, direction="out").plaintext
    payload = copy.deepcopy(KIND.samples[Direction.OUT]["TIER.MEMBERSHIP.CREATE"])
    EventFactory(
        connector=connector, direction="out", source_event_id=payload["headers"]["eesEventId"], payload=payload
    )
    rekey(apps, None)

    response = client.post(
        f"/out/segment/{connector.public_id}", data=payload, content_type="application/json", HTTP_X_AUTH_TOKEN=token
    )

    assert response.json()["duplicate"] is True
    assert Event.objects.filter(connector=connector).count() == 1
