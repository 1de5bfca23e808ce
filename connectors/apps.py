from django.apps import AppConfig
from django.conf import settings

from core.crypto import encryption_keys_check


class ConnectorsConfig(AppConfig):
    name = "connectors"
    verbose_name = "Clients and connectors"

    def ready(self) -> None:
        # A malformed key list stops every process at start, with the reason, rather than
        # failing each request that needs a connector's secrets.
        encryption_keys_check(settings.ENCRYPTION_KEYS)
