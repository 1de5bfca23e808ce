import uuid

from django.core.management.base import BaseCommand, CommandError

from connectors.models import AuthToken, Connector
from connectors.tokens import token_issue


class Command(BaseCommand):
    help = (
        "Issue a webhook token for a connector. Prints the token, and nothing else, on standard output: "
        "it is shown once and only its hash is kept."
    )

    def add_arguments(self, parser):
        parser.add_argument("connector", metavar="CONNECTOR_UUID", help="The connector's id, as in its URLs.")
        parser.add_argument("--direction", required=True, choices=AuthToken.Direction.values)
        parser.add_argument("--label", default="", help="Who the token is for.")

    def handle(self, *args, connector, direction, label, **options):
        try:
            public_id = uuid.UUID(connector)
        except ValueError:
            raise CommandError(f"{connector!r} is not a connector id (a UUID).") from None
        target = Connector.objects.filter(public_id=public_id).first()
        if target is None:
            raise CommandError(f"No connector with id {public_id}.")
        issued = token_issue(connector=target, direction=direction, label=label)
        self.stdout.write(issued.plaintext)
