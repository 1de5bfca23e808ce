import pytest
from rest_framework.test import APIClient

from api.keys import api_key_issue
from core.groups import INTEGRATION_STAFF, SUPPORT
from tests.connectors.factories import UserFactory


def key_client(user) -> APIClient:
    """An API client sending a fresh key of ``user`` as a bearer token."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_issue(user=user).plaintext}")
    return client


@pytest.fixture
def staff_user(db):
    return UserFactory(username="integrator", group=INTEGRATION_STAFF)


@pytest.fixture
def support_user(db):
    return UserFactory(username="supporter", group=SUPPORT)


@pytest.fixture
def staff_api(staff_user):
    return key_client(staff_user)


@pytest.fixture
def support_api(support_user):
    return key_client(support_user)
