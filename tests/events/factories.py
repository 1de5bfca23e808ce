import uuid

import factory
from django.utils import timezone

from events.models import Delivery, DeliveryAttempt, Event
from tests.connectors.factories import ConnectorFactory


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    connector = factory.SubFactory(ConnectorFactory)
    direction = "out"
    event_type = "SERVICE.WALLET.ACCOUNTS.CREATE"
    source_event_id = factory.LazyFunction(lambda: str(uuid.uuid4()))
    identity = "1111111111111111"
    received_at = factory.LazyFunction(timezone.now)
    payload = factory.LazyFunction(dict)
    status = Event.Status.TRANSLATED


class DeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Delivery

    event = factory.SubFactory(EventFactory)
    connector = factory.SelfAttribute("event.connector")
    destination = "segment"
    url = "https://api.segment.io/v1/batch"
    body = factory.LazyFunction(lambda: {"batch": [{"type": "track", "event": "X", "userId": "u1", "messageId": "m1"}]})
    idempotency_key = factory.LazyAttribute(lambda o: f"air-{o.event.source_event_id}")
    status = Delivery.Status.PENDING
    next_attempt_at = factory.LazyFunction(timezone.now)
    created_at = factory.LazyFunction(timezone.now)


class DeliveryAttemptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DeliveryAttempt

    delivery = factory.SubFactory(DeliveryFactory)
    number = 1
    started_at = factory.LazyFunction(timezone.now)
    method = "POST"
    url = factory.SelfAttribute("delivery.url")
    response_status = 200
    outcome = DeliveryAttempt.Outcome.SUCCEEDED
