import factory
import factory.django
from django.utils import timezone

from connectors.models import Client, Connector
from events.models import Delivery, Direction, Event
from rewards.models import RewardLedgerEntry, TriggerReference


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client

    name = factory.Sequence(lambda n: f"Retailer {n}")
    slug = factory.Sequence(lambda n: f"rewards-retailer-{n}")


class ConnectorFactory(factory.django.DjangoModelFactory):
    """An AIR ⇄ Segment connector; rewards never read its secrets."""

    class Meta:
        model = Connector

    client = factory.SubFactory(ClientFactory)
    kind = "air_segment"
    name = factory.Sequence(lambda n: f"AIR to Segment {n}")
    settings = factory.LazyFunction(lambda: {"refuse_unknown_triggers": False})


class TriggerReferenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TriggerReference

    connector = factory.SubFactory(ConnectorFactory)
    reference = factory.Sequence(lambda n: f"A{n:04d}")
    description = "Joined the loyalty programme"
    air_campaign_id = "100641681"


class TriggerEventFactory(factory.django.DjangoModelFactory):
    """An inbound Segment trigger, as the receive step stores it."""

    class Meta:
        model = Event

    connector = factory.SubFactory(ConnectorFactory)
    direction = Direction.IN
    event_type = "services/trigger"
    source_event_id = factory.Sequence(lambda n: f"segment-message-{n}")
    identity = "1111111111111131"
    received_at = factory.LazyFunction(timezone.now)
    context = factory.LazyAttribute(
        lambda o: {
            "identity_value": o.identity,
            "trigger_references": ["A0001"],
            "wallet_transaction_reference": o.source_event_id,
        }
    )


class NotificationEventFactory(factory.django.DjangoModelFactory):
    """An AIR SERVICE.TRIGGER notification, as the receive step stores it."""

    class Meta:
        model = Event

    connector = factory.SubFactory(ConnectorFactory)
    direction = Direction.OUT
    event_type = "SERVICE.TRIGGER"
    source_event_id = factory.Faker("uuid4")
    identity = "1111111111111131"
    received_at = factory.LazyFunction(timezone.now)
    context = factory.Dict({"event_name": "SERVICE.TRIGGER"})


class AirDeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Delivery

    event = factory.SubFactory(TriggerEventFactory)
    connector = factory.SelfAttribute("event.connector")
    destination = "air"
    url = "http://127.0.0.1:8000/sandbox/air/services/trigger"
    body = factory.LazyAttribute(
        lambda o: {
            "walletTransaction": {"reference": o.idempotency_key},
            "triggers": [{"reference": "A0001"}],
            "identityValue": o.event.identity,
        }
    )
    idempotency_key = factory.SelfAttribute("event.source_event_id")
    created_at = factory.LazyFunction(timezone.now)


class RewardLedgerEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RewardLedgerEntry

    delivery = factory.SubFactory(AirDeliveryFactory)
    request_event = factory.SelfAttribute("delivery.event")
    connector = factory.SelfAttribute("delivery.connector")
    identity = factory.SelfAttribute("delivery.event.identity")
    trigger_references = factory.List(["A0001"])
    wallet_transaction_reference = factory.SelfAttribute("delivery.idempotency_key")
    requested_at = factory.LazyFunction(timezone.now)
