from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from connectors.models import Connector
from connectors.services import connector_urls


class Command(BaseCommand):
    help = "List connectors: id, client, kind, state and webhook URLs, tab-separated."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--client", help="Only this client's connectors (its slug).")

    def handle(self, *args: Any, client: str | None, **options: Any) -> None:
        connectors = Connector.objects.select_related("client").order_by("client__slug", "name")
        if client:
            connectors = connectors.filter(client__slug=client)
        self.stdout.write("\t".join(("id", "client", "kind", "state", "name", "in", "out")))
        for connector in connectors:
            urls = connector_urls(connector)
            row = (connector.public_id, connector.client.slug, connector.kind, connector.state)
            self.stdout.write("\t".join((*map(str, row), connector.name, urls.get("in", ""), urls.get("out", ""))))
