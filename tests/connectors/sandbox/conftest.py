import base64
import json

import pytest

from connectors.kinds.air_segment.auth import air_auth_headers
from connectors.sandbox.credentials import AIR_CLIENT_ID, AIR_CLIENT_SECRET, SEGMENT_WRITE_KEY

AIR_TRIGGER_PATH = "/sandbox/air/services/trigger"


def segment_auth(write_key: str = SEGMENT_WRITE_KEY) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{write_key}:".encode()).decode()}


def trigger_body(
    *, identity: str = "1111111111111131", reference: str = "order-1", triggers=("P0002",)
) -> bytes:
    return json.dumps(
        {
            "walletTransaction": {"reference": reference},
            "triggers": [{"reference": trigger} for trigger in triggers],
            "identityValue": identity,
        }
    ).encode()


@pytest.fixture
def air_post(client):
    """POST a body to the AIR sandbox signed as a connector signs it."""

    def post(body: bytes, *, path: str = AIR_TRIGGER_PATH, client_id=AIR_CLIENT_ID, secret=AIR_CLIENT_SECRET):
        headers = air_auth_headers(
            url=f"http://testserver{path}", body=body, client_id=client_id, client_secret=secret
        )
        return client.post(path, data=body, content_type="application/json", headers=headers)

    return post
