import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from connectors.models import Client, Connector
from core.crypto import secrets_encrypt

AIR_SETTINGS = {
    "air_client_id": "ee-connect-sandbox",
    "air_wallet_url": "http://127.0.0.1:8000/sandbox/air",
    "segment_region": "US",
    "segment_base_url": "http://127.0.0.1:8000/sandbox/segment",
    "currency": "GBP",
    "identity_type": "CUSTOMER_ID",
    "amounts_in_minor_units": True,
    "send_identify": True,
    "refuse_unknown_triggers": False,
}
AIR_SECRETS = {"air_client_secret": "sandbox-air-secret", "segment_write_key": "sandbox-write-key"}


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Retailer {n}")
    slug = factory.Sequence(lambda n: f"retailer-{n}")


class ConnectorFactory(factory.django.DjangoModelFactory):
    """An AIR ⇄ Segment connector pointed at the sandbox upstreams."""

    class Meta:
        model = Connector

    client = factory.SubFactory(ClientFactory)
    kind = "air_segment"
    name = factory.Sequence(lambda n: f"AIR to Segment {n}")
    environment = "UAT"
    settings = factory.LazyFunction(lambda: dict(AIR_SETTINGS))

    class Params:
        secrets = factory.LazyFunction(lambda: dict(AIR_SECRETS))

    secrets_encrypted = factory.LazyAttribute(lambda o: secrets_encrypt(o.secrets))


class UserFactory(factory.django.DjangoModelFactory):
    """A staff user; ``group`` names one of the groups from core.groups."""

    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    is_staff = True

    @factory.post_generation
    def group(self, create, name, **kwargs):
        if create and name:
            self.groups.add(Group.objects.get(name=name))
