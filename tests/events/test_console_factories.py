"""Factories for the delivery log, shared by the console tests (no tests here)."""

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from events.models import Delivery, DeliveryAttempt, Event
from tests.connectors.factories import ConnectorFactory


class EventFactory(DjangoModelFactory):
    class Meta:
        model = Event

    connector = factory.SubFactory(ConnectorFactory)
    direction = "out"
    event_type = "SERVICE.TRIGGER"
    source_event_id = factory.Sequence(lambda n: f"air-event-{n}")
    identity = factory.Sequence(lambda n: f"CUST-{n}")
    received_at = factory.LazyFunction(timezone.now)
    payload = factory.LazyAttribute(lambda o: {"eventName": o.event_type, "eventId": o.source_event_id})
    context = factory.LazyAttribute(lambda o: {"event_name": o.event_type, "identity": o.identity})
    status = Event.Status.TRANSLATED


class DeliveryFactory(DjangoModelFactory):
    class Meta:
        model = Delivery

    event = factory.SubFactory(EventFactory)
    connector = factory.LazyAttribute(lambda o: o.event.connector)
    destination = "segment"
    url = "http://127.0.0.1:8000/sandbox/segment/v1/batch"
    body = factory.LazyAttribute(lambda o: {"batch": [{"messageId": o.idempotency_key}]})
    idempotency_key = factory.Sequence(lambda n: f"msg-{n}")
    status = Delivery.Status.SUCCEEDED
    created_at = factory.LazyFunction(timezone.now)


class DeliveryAttemptFactory(DjangoModelFactory):
    class Meta:
        model = DeliveryAttempt

    delivery = factory.SubFactory(DeliveryFactory)
    number = factory.Sequence(lambda n: n + 1)
    started_at = factory.LazyFunction(timezone.now)
    method = "POST"
    url = "http://127.0.0.1:8000/sandbox/segment/v1/batch"
    request_headers = factory.LazyFunction(lambda: {"Authorization": "Basic ***"})
    request_body = '{"batch": []}'
    response_status = 200
    response_body = '{"success": true}'
    outcome = DeliveryAttempt.Outcome.SUCCEEDED
