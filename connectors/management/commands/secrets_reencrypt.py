from typing import Any

from django.core.management.base import BaseCommand, CommandError

from connectors.services import connector_secrets_reencrypt


class Command(BaseCommand):
    help = (
        "Re-encrypt every connector's stored secrets under the first key of ENCRYPTION_KEYS (after putting a new "
        "key first). Safe to run again: secrets already under the first key are left as they are. Fails, naming "
        "them, when some connectors' secrets no key decrypts."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        result = connector_secrets_reencrypt()
        self.stdout.write(
            f"Re-encrypted the secrets of {result.reencrypted} connector(s) under the first key; "
            f"{result.current} already were."
        )
        if result.unreadable:
            names = ", ".join(f"{connector.name} (id {connector.pk})" for connector in result.unreadable)
            raise CommandError(
                f"{len(result.unreadable)} connector(s) have secrets that no key in ENCRYPTION_KEYS decrypts: {names}. "
                "Put back the key that encrypted them, or enter their secrets again in the admin."
            )
