"""Mapping rules end to end: a rename saved in the admin reaches the Segment sandbox for that
connector only, and restoring the earlier version brings the default name back."""

import copy
import json
import uuid

import pytest
from django.urls import reverse

from connectors.kinds.base import Direction
from connectors.kinds.registry import kind_get
from connectors.tokens import token_issue
from events.models import Delivery, Event, MappingRuleSet
from tests.connectors.factories import AIR_SETTINGS, ConnectorFactory, UserFactory
from tests.e2e.harness import wait_until

pytestmark = pytest.mark.e2e

KIND = kind_get("air_segment")


def sandbox_connector(live):
    settings = {
        **AIR_SETTINGS,
        "air_wallet_url": live.sandbox("air"),
        "segment_base_url": live.sandbox("segment"),
    }
    connector = ConnectorFactory(settings=settings)
    connector.out_token = token_issue(connector=connector, direction="out").plaintext
    return connector


def settle_sent(live, connector) -> tuple[Event, dict]:
    """Post a fresh SETTLE notification; return its stored event and the purchase call the Segment
    sandbox received for it."""
    notification = copy.deepcopy(KIND.samples[Direction.OUT]["POSCONNECT.WALLET.SETTLE"])
    notification["headers"]["eesEventId"] = event_id = str(uuid.uuid4())
    response = live.post(f"/out/segment/{connector.public_id}", notification, token=connector.out_token)
    assert response.status_code == 200, response.text
    public_id = response.json()["event_id"]

    def delivered():
        deliveries = list(Delivery.objects.filter(event__public_id=public_id))
        return deliveries if deliveries and deliveries[0].status in Delivery.TERMINAL_STATUSES else None

    [delivery] = wait_until(delivered, message=f"the SETTLE {event_id} to be delivered")
    assert delivery.status == Delivery.Status.SUCCEEDED, delivery.last_error
    sent = {message["messageId"] for message in delivery.body["batch"]}
    received = [m for m in live.segment_messages() if m["messageId"] in sent]
    assert len(received) == len(delivery.body["batch"])
    return delivery.event, received[-1]


def test_a_rename_saved_in_the_admin_reaches_segment_for_that_connector_only_until_restored(live, client):
    retailer, other = sandbox_connector(live), sandbox_connector(live)
    stored, before = settle_sent(live, retailer)
    client.force_login(UserFactory(is_superuser=True))
    client.post(reverse("admin:events_mappingruleset_add"), {"connector": retailer.pk})
    rule_set = MappingRuleSet.objects.get(connector=retailer)
    editor = reverse("admin:events_mappingruleset_change", args=[rule_set.pk])
    client.post(editor, {"_copy_defaults": "1"})
    rules = json.loads(client.get(editor).context["form"].initial["rules"])
    purchase = next(rule for rule in rules if rule["name"] == "Purchase")["messages"][1]
    purchase["event"] = "Order Completed"
    purchase["context"]["traits"]["favourite_store"] = {"path": "transaction.store_location.store_id"}
    edited = {"rules": json.dumps(rules), "base_version": "1"}

    preview = client.post(editor, {**edited, "preview_source": f"event:{stored.pk}", "_preview": "1"})
    saved = client.post(editor, {**edited, "comment": "Retailer's purchase name", "_save": "1"})
    _, renamed = settle_sent(live, retailer)
    _, elsewhere = settle_sent(live, other)
    restored = client.post(reverse("admin:events_mappingruleset_restore", args=[rule_set.pk, 1]))
    _, after_restore = settle_sent(live, retailer)

    assert before["event"] == "EE Loyalty Purchase"
    assert preview.context["preview"].context == stored.context
    assert preview.context["preview"].current.requests[0]["batch"][-1]["event"] == "EE Loyalty Purchase"
    assert preview.context["preview"].edited.requests[0]["batch"][-1]["event"] == "Order Completed"
    assert saved.status_code == restored.status_code == 302
    assert renamed["event"] == "Order Completed"
    assert renamed["context"]["traits"]["favourite_store"] == "store-101"
    assert elsewhere["event"] == "EE Loyalty Purchase"
    assert "favourite_store" not in elsewhere["context"]["traits"]
    assert after_restore["event"] == "EE Loyalty Purchase"
    assert list(rule_set.versions.values_list("number", "action")) == [
        (3, "restore"),
        (2, "save"),
        (1, "copy_defaults"),
    ]
