"""Fill the delivery log with synthetic rows to measure the console at production volume."""

import random
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from connectors.models import Client, Connector
from events.console.dashboard import rollups_refresh
from events.models import Delivery, DeliveryAttempt, Event

BATCH = 5_000
STATUSES = [Delivery.Status.SUCCEEDED] * 90 + [Delivery.Status.FAILED] * 5 + [Delivery.Status.RETRYING] * 5
CODES = {Delivery.Status.SUCCEEDED: 200, Delivery.Status.FAILED: 400, Delivery.Status.RETRYING: 503}


class Command(BaseCommand):
    help = "Seed events, deliveries and attempts over the last week (bulk inserts in large batches)."

    def add_arguments(self, parser):
        parser.add_argument("--deliveries", type=int, default=10_000)
        parser.add_argument("--attempts-per-delivery", type=int, default=3)
        parser.add_argument("--connectors", type=int, default=4)
        parser.add_argument("--days", type=int, default=7)

    def handle(self, *args, deliveries, attempts_per_delivery, connectors, days, **options):
        rng = random.Random(7)
        client, _ = Client.objects.get_or_create(slug="seed", defaults={"name": "Seed Retailer"})
        pool = [
            Connector.objects.get_or_create(
                client=client, name=f"Seed {n}", defaults={"kind": "air_segment"}
            )[0]
            for n in range(connectors)
        ]
        now = timezone.now()
        span = timedelta(days=days).total_seconds()
        start = Event.objects.order_by("-id").values_list("id", flat=True).first() or 0
        for offset in range(0, deliveries, BATCH):
            size = min(BATCH, deliveries - offset)
            self._batch(rng, pool, now, span, start + offset, size, attempts_per_delivery)
            self.stdout.write(f"{offset + size} deliveries")
        rollups_refresh(now=now, since=now - timedelta(days=days))
        self.stdout.write(self.style.SUCCESS(f"Seeded {deliveries} deliveries; rollups refreshed."))

    @transaction.atomic
    def _batch(self, rng, pool, now, span, first, size, attempts_per_delivery):
        """One batch: its events, a delivery for each, and that delivery's attempts."""
        created = Event.objects.bulk_create(_events(rng, pool, now, span, first, size), batch_size=BATCH)
        events = Event.objects.filter(source_event_id__in=[e.source_event_id for e in created]).only(
            "id", "connector_id", "received_at", "direction"
        )
        rows = Delivery.objects.bulk_create(_deliveries(rng, events, now, attempts_per_delivery), batch_size=BATCH)
        DeliveryAttempt.objects.bulk_create(_attempts(rng, rows, attempts_per_delivery), batch_size=BATCH)


def _events(rng, pool, now, span, first, size):
    events = []
    for n in range(first, first + size):
        received = now - timedelta(seconds=rng.random() * span)
        events.append(
            Event(
                connector=rng.choice(pool),
                direction=rng.choice(["in", "out"]),
                event_type=rng.choice(["SERVICE.TRIGGER", "POINTS.ADJUST", "track", "identify"]),
                source_event_id=f"seed-event-{n}",
                identity=f"CUST-{n % 50_000}",
                received_at=received,
                payload={"eventId": f"seed-event-{n}"},
                context={"identity": f"CUST-{n % 50_000}"},
                status=Event.Status.TRANSLATED,
            )
        )
    return events


def _deliveries(rng, events, now, attempts_per_delivery):
    rows = []
    for event in events:
        status = rng.choice(STATUSES)
        rows.append(
            Delivery(
                event_id=event.pk,
                connector_id=event.connector_id,
                destination="air" if event.direction == "in" else "segment",
                url="http://127.0.0.1:8000/sandbox/segment/v1/batch",
                body={"batch": []},
                idempotency_key=f"seed-key-{event.pk}",
                status=status,
                attempts=attempts_per_delivery,
                last_status_code=CODES[status],
                created_at=event.received_at,
                delivered_at=event.received_at + timedelta(milliseconds=rng.randint(50, 5000))
                if status == Delivery.Status.SUCCEEDED
                else None,
                next_attempt_at=now + timedelta(minutes=5)
                if status == Delivery.Status.RETRYING
                else None,
            )
        )
    return rows


def _attempts(rng, rows, attempts_per_delivery):
    return [
        DeliveryAttempt(
            delivery_id=delivery.pk,
            number=number,
            started_at=delivery.created_at,
            duration_ms=rng.randint(20, 900),
            method="POST",
            url=delivery.url,
            request_headers={"Authorization": "***"},
            response_status=delivery.last_status_code,
            outcome=DeliveryAttempt.Outcome.SUCCEEDED
            if delivery.status == Delivery.Status.SUCCEEDED and number == attempts_per_delivery
            else DeliveryAttempt.Outcome.RETRY,
        )
        for delivery in rows
        for number in range(1, attempts_per_delivery + 1)
    ]
