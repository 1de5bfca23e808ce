"""The demo client: one connector of each kind, pointed at the sandbox upstreams, ready to send.

Idempotent: running it again updates the same client and connectors and replaces the demo
tokens (the old ones are revoked), so nothing is duplicated.
"""

import json
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from connectors.kinds.base import Direction
from connectors.kinds.registry import kind_get
from connectors.models import AuthToken, Client, Connector
from connectors.sandbox import credentials
from connectors.services import client_create, connector_create, connector_update, connector_urls
from connectors.tokens import token_issue, token_revoke

DEMO_LABEL = "demo"
DEMO_USERNAME = "demo"
SAMPLE_EVENT = "SERVICE.WALLET.ACCOUNTS.CREATE"


def _sandbox(upstream: str) -> str:
    return f"{settings.PUBLIC_BASE_URL}/sandbox/{upstream}"


def demo_connectors() -> list[tuple[str, str, dict, dict]]:
    """(kind, name, settings, secrets) of each demo connector."""
    segment = {"segment_region": "US", "segment_base_url": _sandbox("segment")}
    return [
        (
            "air_segment",
            "AIR ⇄ Segment (sandbox)",
            {
                "air_client_id": credentials.AIR_CLIENT_ID,
                "air_wallet_url": _sandbox("air"),
                **segment,
                "currency": "GBP",
                "identity_type": "CUSTOMER_ID",
            },
            {"air_client_secret": credentials.AIR_CLIENT_SECRET, "segment_write_key": credentials.SEGMENT_WRITE_KEY},
        ),
        (
            "voucherify_segment",
            "Voucherify ⇄ Segment (sandbox)",
            {"voucherify_api_url": _sandbox("voucherify"), "voucherify_app_id": credentials.VOUCHERIFY_APP_ID,
             **segment},
            {
                "voucherify_app_token": credentials.VOUCHERIFY_APP_TOKEN,
                "voucherify_webhook_secret": "demo-webhook-secret",
                "segment_write_key": credentials.SEGMENT_WRITE_KEY,
            },
        ),
        (
            "segment_everflow",
            "Segment → Everflow (sandbox)",
            {"tracking_domain": _sandbox("everflow"), "network_id": credentials.EVERFLOW_NETWORK_ID,
             "event_map": {"Order Completed": 0}},
            {},
        ),
        (
            "segment_perkville",
            "Segment → Perkville (sandbox)",
            {"api_base_url": _sandbox("perkville"), "business_id": "1001", "location_id": "2001",
             "event_perk_map": {"Order Completed": "3001"}},
            {"api_token": credentials.PERKVILLE_TOKEN},
        ),
    ]


@dataclass(frozen=True)
class Demo:
    username: str
    password: str
    client: Client
    connectors: list[Connector]
    tokens: dict[tuple[str, str], str]  # (kind, direction) → token, shown once
    sample_path: Path


def _user(password: str):
    user, _ = get_user_model().objects.get_or_create(
        username=DEMO_USERNAME, defaults={"is_staff": True, "is_superuser": True, "email": "demo@example.com"}
    )
    user.set_password(password)
    user.is_staff = user.is_superuser = True
    user.save()
    return user


def _connector(client: Client, kind: str, name: str, values: dict, secrets: dict, user) -> Connector:
    existing = Connector.objects.filter(client=client, kind=kind, name=name).first()
    if existing:
        return connector_update(connector=existing, settings=values, secrets=secrets, user=user)
    return connector_create(
        client=client, kind=kind, name=name, environment="Sandbox", settings=values, secrets=secrets, user=user
    )


def _tokens(connector: Connector, user) -> dict[str, str]:
    for old in AuthToken.objects.filter(connector=connector, label=DEMO_LABEL, revoked_at__isnull=True):
        token_revoke(prefix_or_id=str(old.pk))
    return {
        direction: token_issue(connector=connector, direction=direction, label=DEMO_LABEL, user=user).plaintext
        for direction in ("in", "out")
    }


def _sample_file(folder: Path) -> Path:
    """A fresh copy of the AIR sample notification, with a new event id so it is never a duplicate."""
    sample = json.loads(json.dumps(kind_get("air_segment").samples[Direction.OUT][SAMPLE_EVENT]))
    sample["headers"]["eesEventId"] = str(uuid.uuid4())
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "air-wallet-created.json"
    path.write_text(json.dumps(sample, indent=2))
    return path


@transaction.atomic
def demo_setup(*, password: str, sample_folder: Path) -> Demo:
    user = _user(password)
    client = Client.objects.filter(slug="demo").first() or client_create(
        name="Demo Retailer", slug="demo", notes="Created by the demo set-up; points at the sandbox.", user=user
    )
    connectors, tokens = [], {}
    for kind, name, values, secrets in demo_connectors():
        connector = _connector(client, kind, name, values, secrets, user)
        connectors.append(connector)
        for direction, plaintext in _tokens(connector, user).items():
            tokens[(kind, direction)] = plaintext
    return Demo(DEMO_USERNAME, password, client, connectors, tokens, _sample_file(sample_folder))


def demo_curl(demo: Demo) -> str:
    air = next(c for c in demo.connectors if c.kind == "air_segment")
    return (
        f"curl -sS -X POST {connector_urls(air)['out']} "
        f"-H 'Content-Type: application/json' -H 'X-Auth-Token: {demo.tokens[('air_segment', 'out')]}' "
        f"--data @{demo.sample_path}"
    )
