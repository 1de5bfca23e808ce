import pytest
import requests

from connectors.sandbox.upstreams import upstreams
from tests.e2e.harness import platform_running


@pytest.fixture(scope="session")
def platform(django_db_setup, django_db_blocker):
    """Web server, worker and beat against the test database, for the whole session."""
    with platform_running(prefix="ee-connect-e2e-") as running:
        yield running


@pytest.fixture
def live(platform, transactional_db, request):
    """The running platform, with a clean sandbox; prints the processes' logs when a test fails."""
    for upstream in upstreams():
        platform.behave(upstream)
        requests.delete(f"{platform.sandbox(upstream)}/received", timeout=5)
    yield platform
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        print(platform.logs())
