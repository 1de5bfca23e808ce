"""What the benchmarks send: a real-sized AIR SETTLE notification, and a connector to send it to."""

import json

from bench.translation import settle_make
from connectors.models import Client, Connector
from connectors.tokens import token_issue
from core.crypto import secrets_encrypt
from tests.connectors.factories import AIR_SECRETS, AIR_SETTINGS

TARGET_BYTES = (10 * 1024, 40 * 1024)
PLACEHOLDER = "__EVENT_ID__"


def notification_template() -> str:
    """A SETTLE notification of 10-40 KB (the sample padded with products), its id a placeholder."""
    for products in range(1, 60):
        body = json.dumps(settle_make(number=0, products=products), separators=(",", ":"))
        if len(body) >= (TARGET_BYTES[0] + TARGET_BYTES[1]) // 2:
            break
    return body.replace("bench-00000000", PLACEHOLDER)


def connector_create(*, segment_base_url: str) -> tuple[Connector, str]:
    client, _ = Client.objects.get_or_create(slug="bench", defaults={"name": "Benchmark retailer"})
    connector = Connector.objects.create(
        client=client,
        kind="air_segment",
        name="Benchmark AIR to Segment",
        environment="UAT",
        settings={**AIR_SETTINGS, "segment_base_url": segment_base_url},
        secrets_encrypted=secrets_encrypt(AIR_SECRETS),
    )
    return connector, token_issue(connector=connector, direction="out").plaintext
