from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from connectors.management.errors import error_text
from connectors.services import client_create


class Command(BaseCommand):
    help = "Create a client (a retailer whose connectors are set up here)."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="The client's display name.")
        parser.add_argument("--slug", required=True, help="A short unique id: letters, digits, - and _.")
        parser.add_argument("--notes", default="", help="Free text for staff.")

    def handle(self, *args, name, slug, notes, **options):
        try:
            client = client_create(name=name, slug=slug, notes=notes)
        except ValidationError as exc:
            raise CommandError(error_text(exc)) from None
        self.stdout.write(f"Created client {client.slug} (id {client.pk})")
