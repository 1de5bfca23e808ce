"""The kind's samples renewed for a test event: sent twice, they are two events."""

import json

import pytest

from connectors.kinds.air_segment import KIND
from connectors.kinds.base import Direction
from events.intake.sample_events import sample_body, sample_send
from events.models import Event
from tests.connectors.factories import ConnectorFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("direction", "sample"), [("out", "SERVICE.WALLET.ACCOUNTS.CREATE"), ("in", "services/trigger")]
)
def test_a_sample_sent_twice_is_two_events(direction, sample):
    connector = ConnectorFactory()

    first = sample_send(
        connector=connector,
        direction=direction,
        body=sample_body(connector=connector, direction=direction, sample=sample),
    )
    second = sample_send(
        connector=connector,
        direction=direction,
        body=sample_body(connector=connector, direction=direction, sample=sample),
    )

    assert [r.duplicate for r in first + second] == [False, False]
    assert Event.objects.filter(connector=connector, direction=direction).count() == 2


def test_a_renewed_notification_differs_from_its_sample_only_by_its_event_id():
    sample = KIND.samples[Direction.OUT]["POSCONNECT.WALLET.SETTLE"]

    renewed = KIND.sample_renew(Direction.OUT, sample)

    assert renewed["headers"]["eesEventId"] != sample["headers"]["eesEventId"]
    assert {**renewed, "headers": sample["headers"]} == sample
    assert json.dumps(sample) == json.dumps(KIND.samples[Direction.OUT]["POSCONNECT.WALLET.SETTLE"])  # not mutated
