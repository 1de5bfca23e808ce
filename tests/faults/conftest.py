"""The fault suite's platform: gunicorn, a Celery worker and beat (tests/e2e/harness.py) on a
PostgreSQL cluster and a Redis server of its own, so scenarios may stop and restart both."""


import pytest
import requests
from django.conf import settings
from django.db import connections

from connectors.tokens import token_issue
from tests.connectors.factories import AIR_SETTINGS, ConnectorFactory
from tests.e2e.harness import platform_running
from tests.faults.servers import PG_SUPERUSER, OwnPostgres, OwnRedis


@pytest.fixture(scope="session")
def own_postgres():
    server = OwnPostgres()
    server.init()
    yield server
    server.destroy()


@pytest.fixture(scope="session")
def own_redis():
    server = OwnRedis()
    server.start()
    yield server
    server.destroy()


@pytest.fixture(scope="session")
def django_db_modify_db_settings(own_postgres):
    """Point the test database at our own cluster (whatever DATABASE_URL says) before it is created."""
    database = settings.DATABASES["default"]
    database["TEST"]["NAME"] = "test_ee_connect_faults"
    database.update(
        ENGINE="django.db.backends.postgresql",
        NAME="ee_connect_faults",
        USER=PG_SUPERUSER,
        PASSWORD="",
        HOST="127.0.0.1",
        PORT=str(own_postgres.port),
        OPTIONS={},
        CONN_MAX_AGE=0,
        CONN_HEALTH_CHECKS=True,
    )
    # The connection object may already exist with the embedded default's engine: build it anew.
    connections["default"].close()
    del connections["default"]


@pytest.fixture(scope="session")
def platform(django_db_setup, django_db_blocker, own_redis):
    # A total deadline a little past the harness's read timeout (3 s); circuits that open after 3
    # failures in a row and probe 2 s later, so an outage the scenarios end is over in seconds.
    with platform_running(
        prefix="ee-connect-faults-", CELERY_BROKER_URL=own_redis.url, CACHE_URL="locmemcache://",
        HTTP_TOTAL_TIMEOUT="4", DESTINATION_CIRCUIT_FAILURES="3", DESTINATION_CIRCUIT_COOLDOWN_SECONDS="2",
    ) as running:
        yield running


@pytest.fixture
def live(platform, transactional_db, request):
    """The running platform with a clean, well-behaved sandbox; logs printed when a scenario fails."""
    try:
        for upstream in ("segment", "air"):
            platform.behave(upstream)
            requests.delete(f"{platform.sandbox(upstream)}/received", timeout=5)
    except AssertionError:
        print(platform.logs())
        raise
    yield platform
    platform.behave("segment")
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        print(platform.logs())


@pytest.fixture
def connector(live):
    urls = {"air_wallet_url": live.sandbox("air"), "segment_base_url": live.sandbox("segment")}
    connector = ConnectorFactory(settings={**AIR_SETTINGS, **urls})
    connector.out_token = token_issue(connector=connector, direction="out").plaintext
    return connector
