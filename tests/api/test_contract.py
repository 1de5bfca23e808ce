"""The Config API answers as its schema says, bad input included (schemathesis).

Every operation of /api/schema/ is called in-process through the WSGI application with examples
generated from the schema: valid ones and, in negative mode, ones that break it. Each answer must
have a status code and body the schema documents (refusals in the error shape), and no input may
cause a server error. Examples are bounded and derandomised, so a run is the same every time.
"""

import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

from api.keys import api_key_issue
from events.models import DeliveryAttempt
from tests.connectors.factories import UserFactory
from tests.events.factories import DeliveryAttemptFactory

MAX_EXAMPLES = 25


def _schema():
    """The schema as /api/schema/ serves it, generated here (collection must not query a
    database), calling the application in-process."""
    schema = schemathesis.openapi.from_dict(json.loads(json.dumps(SchemaGenerator().get_schema(public=True))))
    schema.app = get_wsgi_application()
    schema.config.generation.update(
        modes=[schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE],
        max_examples=MAX_EXAMPLES,
        deterministic=True,
    )
    return schema


schema = _schema()


@pytest.fixture(autouse=True)
def _requests_keep_the_test_transaction():
    """As Django's test client does: the test's transaction must outlive each request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def bearer(db):
    """A superuser's key, so permissions never stand between an example and the endpoint, and
    a connector whose event has a delivery and an attempt, so reads find rows to answer with."""
    DeliveryAttemptFactory(response_status=500, outcome=DeliveryAttempt.Outcome.RETRY)
    user = UserFactory(username="contract", is_superuser=True)
    return {"Authorization": f"Bearer {api_key_issue(user=user).plaintext}"}


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@pytest.mark.django_db
def test_the_api_answers_as_its_schema_says(case, bearer):
    # Every check but "schema-valid input is accepted": the API refuses schema-valid input by
    # design where a rule lives beyond the schema (a kind's settings, a client's key strength,
    # mapping rules, a slug taken, an opaque cursor). Those refusals are still checked to be
    # documented and in the error shape; schema-violating input must still be refused.
    case.call_and_validate(headers=bearer, excluded_checks=[positive_data_acceptance])
