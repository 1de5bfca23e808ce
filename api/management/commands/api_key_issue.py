from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from api.keys import api_key_issue


class Command(BaseCommand):
    help = "Issue a Config API key acting as a user; the key is printed once, only its hash is stored."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", required=True, help="The username the key acts as (its permissions apply).")
        parser.add_argument("--label", default="", help="What uses the key.")
        parser.add_argument("--expires-days", type=int, default=None, help="Days until it expires (default: never).")

    def handle(self, *args: Any, user: str, label: str, expires_days: int | None, **options: Any) -> None:
        try:
            owner = get_user_model().objects.get_by_natural_key(user)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No user {user!r}.") from None
        if not owner.is_active:
            raise CommandError(f"User {user!r} is inactive: its key would be refused.")
        if expires_days is not None and expires_days < 1:
            raise CommandError("--expires-days must be 1 or more.")
        expires_at = timezone.now() + timedelta(days=expires_days) if expires_days else None
        issued = api_key_issue(user=owner, label=label, expires_at=expires_at)
        self.stderr.write(f"API key {issued.key.prefix}… for {owner.get_username()}; copy it now, it is shown once:")
        self.stdout.write(issued.plaintext)
