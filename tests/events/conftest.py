import pytest
from django.contrib.auth.models import Group, User

from connectors.tokens import token_issue
from core.groups import SUPPORT
from tests.connectors.factories import ConnectorFactory
from tests.events.perkville import PERKVILLE_SETTINGS


@pytest.fixture
def perkville():
    return ConnectorFactory(kind="segment_perkville", settings=PERKVILLE_SETTINGS, secrets={"api_token": "t"})


@pytest.fixture
def perkville_token(perkville):
    return token_issue(connector=perkville, direction="in").plaintext


@pytest.fixture
def support(client):
    """The test client, logged in as a Support user (``client.user``)."""
    user = User.objects.create_user("sam", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name=SUPPORT))
    client.force_login(user)
    client.user = user
    return client
