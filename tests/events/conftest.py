import pytest

from connectors.tokens import token_issue
from tests.connectors.factories import ConnectorFactory
from tests.events.perkville import PERKVILLE_SETTINGS


@pytest.fixture
def perkville():
    return ConnectorFactory(kind="segment_perkville", settings=PERKVILLE_SETTINGS, secrets={"api_token": "t"})


@pytest.fixture
def perkville_token(perkville):
    return token_issue(connector=perkville, direction="in").plaintext
