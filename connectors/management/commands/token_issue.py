import sys
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from connectors.models import Connector
from connectors.tokens import token_issue, token_register
from core.direction import Direction


class Command(BaseCommand):
    help = (
        "Issue a webhook token for a connector. Prints the token, and nothing else, on standard output: "
        "it is shown once and only its hash is kept. With --value, register the key the client chose instead."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("connector", metavar="CONNECTOR_UUID", help="The connector's id, as in its URLs.")
        parser.add_argument("--direction", required=True, choices=Direction.values)
        parser.add_argument("--label", default="", help="Who the token is for.")
        parser.add_argument(
            "--value",
            help=(
                "Register this key, chosen by the client, instead of issuing one (at least 24 characters, "
                "not guessable). '-' reads it from the first line of standard input, which keeps it out of "
                "the shell's history. Prints the key's label, never the key."
            ),
        )

    def handle(
        self, *args: Any, connector: str, direction: str, label: str, value: str | None, **options: Any
    ) -> None:
        try:
            public_id = uuid.UUID(connector)
        except ValueError:
            raise CommandError(f"{connector!r} is not a connector id (a UUID).") from None
        target = Connector.objects.filter(public_id=public_id).first()
        if target is None:
            raise CommandError(f"No connector with id {public_id}.")
        if value is None:
            issued = token_issue(connector=target, direction=direction, label=label)
            self.stdout.write(issued.plaintext)
            return
        if value == "-":
            value = sys.stdin.readline().removesuffix("\n").removesuffix("\r")
        try:
            token = token_register(connector=target, direction=direction, value=value, label=label)
        except ValidationError as exc:
            raise CommandError(f"--value: {' '.join(exc.message_dict['value'])}") from None
        self.stdout.write(f"Registered the client's {direction} key as {token.prefix}")
