import json
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from connectors.kinds.base import FieldType
from connectors.kinds.registry import kind_get, kinds
from connectors.kinds.validation import SettingsInvalid
from connectors.management.errors import error_text
from connectors.models import Client
from connectors.services import connector_create, connector_urls


class Command(BaseCommand):
    help = (
        "Create a connector, validated as the admin validates it. Prints its id and its two webhook URLs. "
        f"Kinds: {', '.join(kinds())}."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--client", required=True, help="The client's slug.")
        parser.add_argument("--kind", required=True, choices=list(kinds()), help="The connector kind.")
        parser.add_argument("--name", required=True)
        parser.add_argument("--environment", default="", help='A label such as "UAT" or "Production".')
        parser.add_argument(
            "--set",
            dest="values",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="A setting or secret of the kind; repeat for each. Mapping settings take JSON.",
        )

    def handle(
        self, *args: Any, client: str, kind: str, name: str, environment: str, values: list[str], **options: Any
    ) -> None:
        owner = Client.objects.filter(slug=client).first()
        if owner is None:
            raise CommandError(f"No client with slug {client!r}.")
        settings, secrets = _split(kind, values)
        try:
            connector = connector_create(
                client=owner,
                kind=kind,
                name=name,
                environment=environment,
                settings=settings,
                secrets=secrets,
            )
        except (SettingsInvalid, ValidationError) as exc:
            raise CommandError(error_text(exc)) from None
        urls = connector_urls(connector)
        self.stdout.write("\n".join([f"id: {connector.public_id}", *(f"{d}: {url}" for d, url in urls.items())]))


def _split(kind: str, values: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """KEY=VALUE pairs into (settings, secrets) by the kind's schema; unknown keys fail validation."""
    fields = {field.key: field for field in kind_get(kind).fields}
    settings: dict[str, Any] = {}
    secrets: dict[str, Any] = {}
    for pair in values:
        key, sep, value = pair.partition("=")
        if not sep:
            raise CommandError(f"--set {pair!r}: expected KEY=VALUE.")
        field = fields.get(key)
        if field is not None and field.type is FieldType.MAPPING:
            try:
                value = json.loads(value)
            except json.JSONDecodeError as exc:
                raise CommandError(f"{key}: not valid JSON ({exc.msg}).") from None
        (secrets if field is not None and field.is_secret else settings)[key] = value
    return settings, secrets
