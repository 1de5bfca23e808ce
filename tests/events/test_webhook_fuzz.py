"""The webhook views, for every kind and direction, given hostile bodies: never a 5xx, and nothing
stored for a body refused."""

import hashlib
import hmac

import pytest
from hypothesis import given

from connectors.kinds.base import Direction
from connectors.kinds.registry import kind_get
from connectors.tokens import token_issue
from events.models import Delivery, Event
from tests.connectors.factories import ConnectorFactory
from tests.hostile import FUZZ, hostile_bodies

pytestmark = pytest.mark.django_db
WEBHOOK_SECRET = "whsec-fuzz"
# The answers a sender may get; 5xx is not among them (the database is up throughout).
ANSWERS = {200, 400, 401, 403, 413, 415}
KINDS = {
    "air_segment": ({}, {}),
    "segment_perkville": (
        {"api_base_url": "https://api.perkville.example", "business_id": "1", "location_id": "2",
         "event_perk_map": {"Order Completed": 5, "Checked In": 6}},
        {"api_token": "t"},
    ),
    "segment_everflow": (
        {"tracking_domain": "https://track.everflow.example", "network_id": "1",
         "event_map": {"Order Completed": 0}},
        {},
    ),
    "voucherify_segment": (
        {"voucherify_api_url": "https://api.voucherify.example", "voucherify_app_id": "a", "segment_region": "EU"},
        {"voucherify_webhook_secret": WEBHOOK_SECRET, "segment_write_key": "w", "voucherify_app_token": "t"},
    ),
}
ROUTES = [(kind, direction) for kind in KINDS for direction in kind_get(kind).samples]


def _connector(kind: str):
    if kind == "air_segment":
        return ConnectorFactory()
    settings, secrets = KINDS[kind]
    return ConnectorFactory(kind=kind, settings=settings, secrets=secrets)


@pytest.mark.parametrize(("kind", "direction"), ROUTES, ids=[f"{kind}-{d}" for kind, d in ROUTES])
def test_hostile_bodies_are_never_a_5xx_and_a_refused_one_stores_nothing(client, kind, direction):
    connector = _connector(kind)
    token = token_issue(connector=connector, direction=str(direction)).plaintext
    samples = list(kind_get(kind).samples[direction].values())
    signed = kind == "voucherify_segment" and direction is Direction.OUT

    @FUZZ
    @given(body=hostile_bodies(samples))
    def answered(body):
        headers = {"HTTP_X_AUTH_TOKEN": token}
        if signed:
            headers["HTTP_X_VOUCHERIFY_SIGNATURE"] = hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
        stored = (Event.objects.count(), Delivery.objects.count())

        response = client.post(
            f"/{direction}/segment/{connector.public_id}", data=body, content_type="application/json", **headers
        )

        assert response.status_code in ANSWERS, (response.status_code, response.content[:500])
        assert response["Content-Type"] == "application/json"
        if response.status_code != 200:
            assert response.json()["message"]
            assert (Event.objects.count(), Delivery.objects.count()) == stored

    answered()
