from io import StringIO

import pytest
from django.core.management import call_command

from events.models import Delivery, DeliveryAttempt, DeliveryRollup, Event

pytestmark = pytest.mark.django_db


def test_log_seed_creates_the_requested_volume_and_its_rollups():
    output = StringIO()

    call_command("log_seed", deliveries=30, attempts_per_delivery=2, connectors=2, stdout=output)

    assert (Event.objects.count(), Delivery.objects.count(), DeliveryAttempt.objects.count()) == (30, 30, 60)
    assert sum(DeliveryRollup.objects.values_list("received", flat=True)) == 30
    assert output.getvalue().endswith("Seeded 30 deliveries; rollups refreshed.\n")
