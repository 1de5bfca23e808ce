"""Shared steps of the partner connectors' end-to-end tests (Voucherify, Everflow, Perkville)."""

import requests

from connectors.tokens import token_issue
from events.models import Delivery, Event
from tests.connectors.factories import ConnectorFactory
from tests.e2e.harness import wait_until


def sandbox_reset(live, upstream: str) -> None:
    """Normal service and nothing received or held, for an upstream the ``live`` fixture leaves alone."""
    live.behave(upstream)
    response = requests.delete(f"{live.sandbox(upstream)}/received", timeout=5)
    assert response.status_code == 204, response.text


def partner_connector(*, kind: str, settings: dict, secrets: dict):
    """A connector of the kind with an inbound token; ``tokens_plain`` holds the token to present."""
    connector = ConnectorFactory(kind=kind, name=f"{kind} e2e", settings=settings, secrets=secrets)
    connector.tokens_plain = {"in": token_issue(connector=connector, direction="in").plaintext}
    return connector


def in_path(connector) -> str:
    return f"/in/segment/{connector.public_id}"


def out_path(connector) -> str:
    return f"/out/segment/{connector.public_id}"


def settled(event_id: str, timeout: float = 30.0) -> list[Delivery]:
    """The event's deliveries once every one of them is finished."""

    def done():
        deliveries = list(Delivery.objects.filter(event__public_id=event_id).order_by("pk"))
        finished = deliveries and all(d.status in Delivery.TERMINAL_STATUSES for d in deliveries)
        return deliveries if finished else None

    return wait_until(done, timeout=timeout, message=f"deliveries of event {event_id} to finish")


def accepted_event(response) -> Event:
    """The one event a 200 answer names."""
    assert response.status_code == 200, response.text
    return Event.objects.get(public_id=response.json()["event_id"])
