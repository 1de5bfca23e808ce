"""The webhook views, for every kind and direction, given hostile bodies: never a 5xx, and nothing
stored for a body refused."""

import hashlib
import hmac

import pytest
from hypothesis import given

from connectors.kinds.base import Direction
from connectors.kinds.registry import kind_get, kinds
from connectors.sandbox.upstreams import sandbox_site
from connectors.tokens import token_issue
from events.models import Delivery, Event
from tests.connectors.factories import ConnectorFactory
from tests.hostile import FUZZ, hostile_bodies

pytestmark = pytest.mark.django_db
# The answers a sender may get; 5xx is not among them (the database is up throughout).
ANSWERS = {200, 400, 401, 403, 413, 415}
# Every registered kind, set up as its demo connector (its own declaration), so a new kind is fuzzed too.
SITE = sandbox_site("https://sandbox.example")
ROUTES = [(kind.key, direction) for kind in kinds().values() for direction in kind.samples]


def _connector(kind: str):
    demo = kind_get(kind).sandbox_connector(SITE)
    return ConnectorFactory(kind=kind, settings=demo.settings, secrets=demo.secrets), demo.secrets


@pytest.mark.parametrize(("kind", "direction"), ROUTES, ids=[f"{kind}-{d}" for kind, d in ROUTES])
def test_hostile_bodies_are_never_a_5xx_and_a_refused_one_stores_nothing(client, kind, direction):
    connector, secrets = _connector(kind)
    token = token_issue(connector=connector, direction=str(direction)).plaintext
    samples = list(kind_get(kind).samples[direction].values())
    # Voucherify signs its webhooks: a body signed right reaches the parser, not only the signature check.
    webhook_secret = secrets.get("voucherify_webhook_secret") if direction is Direction.OUT else None

    @FUZZ
    @given(body=hostile_bodies(samples))
    def answered(body):
        headers = {"HTTP_X_AUTH_TOKEN": token}
        if webhook_secret:
            headers["HTTP_X_VOUCHERIFY_SIGNATURE"] = hmac.new(webhook_secret.encode(), body, hashlib.sha256).hexdigest()
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
