from django.core.management.base import BaseCommand, CommandError

from connectors.tokens import TokenNotFound, token_revoke


class Command(BaseCommand):
    help = "Revoke a webhook token by its prefix (as listed in the admin) or its id."

    def add_arguments(self, parser):
        parser.add_argument("token", metavar="PREFIX_OR_ID")

    def handle(self, *args, token, **options):
        try:
            revoked = token_revoke(prefix_or_id=token)
        except TokenNotFound as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Revoked token {revoked.prefix}… of {revoked.connector} (id {revoked.pk})")
