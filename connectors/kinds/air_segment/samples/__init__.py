"""Sample payloads for the admin's test event and mapping preview (the JSON files beside this
module: ``out/`` AIR notifications, one per event, ``in/`` the Eagle Eye destination's trigger), and
the demo's connector."""

import copy
import json
import uuid
from pathlib import Path
from typing import Any

from connectors.kinds.base import Direction, SandboxConnector, SandboxSite

_HERE = Path(__file__).parent


def _sample_name(stem: str) -> str:
    """``POSCONNECT.WALLET.FULFIL_initial`` → ``POSCONNECT.WALLET.FULFIL (initial)``."""
    name, _, variant = stem.partition("_")
    return f"{name} ({variant})" if variant else name


def _samples() -> dict[Direction, dict[str, Any]]:
    out = {_sample_name(path.stem): json.loads(path.read_text()) for path in sorted((_HERE / "out").glob("*.json"))}
    return {
        Direction.OUT: out,
        Direction.IN: {"services/trigger": json.loads((_HERE / "in" / "services_trigger.json").read_text())},
    }


SAMPLES = _samples()


def sample_renew(direction: Direction, payload: Any) -> Any:
    """The sample as another event: a new ``eesEventId`` for a notification (its key is the id plus
    its operations), a new wallet-transaction reference for a trigger that carries one."""
    renewed = copy.deepcopy(payload)
    if direction is Direction.OUT:
        renewed["headers"]["eesEventId"] = str(uuid.uuid4())
    elif isinstance((renewed.get("body") or {}).get("walletTransaction"), dict):
        renewed["body"]["walletTransaction"]["reference"] = f"test-{uuid.uuid4()}"
    return renewed


def sandbox_connector(site: SandboxSite) -> SandboxConnector:
    """The demo's connector: the sandbox's AIR and Segment, amounts in pounds, customers by CUSTOMER_ID."""
    air, segment = site.credentials["air"], site.credentials["segment"]
    return SandboxConnector(
        name="AIR ⇄ Segment (sandbox)",
        settings={
            "air_client_id": air["client_id"],
            "air_wallet_url": site.urls["air"],
            "segment_region": "US",
            "segment_base_url": site.urls["segment"],
            "currency": "GBP",
            "identity_type": "CUSTOMER_ID",
        },
        secrets={"air_client_secret": air["client_secret"], "segment_write_key": segment["write_key"]},
    )
