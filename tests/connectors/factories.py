import factory

from connectors.crypto import secrets_encrypt
from connectors.models import Client, Connector

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


class ClientFactory(factory.django_db.DjangoModelFactory):
    class Meta:
        model = Client
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Retailer {n}")
    slug = factory.Sequence(lambda n: f"retailer-{n}")


class ConnectorFactory(factory.django_db.DjangoModelFactory):
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
