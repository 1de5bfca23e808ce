from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from connectors.kinds.validation import SettingsInvalid
from connectors.sandbox import credentials
from connectors.services import connector_urls
from demo.services import DEMO_USERNAME, demo_curl, demo_setup


class Command(BaseCommand):
    help = (
        "Create (or refresh) the demo client with one sandbox connector of each kind, and the demo logins: "
        "demo (Integration staff) and support (Support). Their passwords are kept once set."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--password", help="Set the demo login's password (even if it exists).")
        parser.add_argument(
            "--reset-password", action="store_true",
            help="Set the demo login's password back to ee-connect-demo (or --password) and give the support "
            "login a new one, printed once.",
        )

    def handle(self, *args: Any, password: str | None, reset_password: bool, **options: Any) -> None:
        if not settings.SANDBOX_ENABLED:
            raise CommandError("The demo needs SANDBOX_ENABLED=true: its connectors point at the sandbox.")
        try:
            demo = demo_setup(
                password=password, reset_passwords=reset_password, sample_folder=settings.VAR_DIR / "demo"
            )
        except SettingsInvalid as exc:
            raise CommandError(f"Demo connector settings refused: {exc}") from exc
        out = self.stdout.write
        out(f"Admin:  {settings.PUBLIC_BASE_URL}/admin/")
        for login in demo.logins:
            if login.password:
                shown = f"{login.username} / {login.password}"
                if login.username != DEMO_USERNAME:  # the demo login's first password is documented
                    shown += "   (shown once; kept from now on)"
            else:
                shown = (f"{login.username} (password kept; reset it with `manage.py demo_setup --reset-password`"
                         f" or `manage.py changepassword {login.username}`)")
            out(f"  {login.group + ':':<18} login {shown}")
        for connector in demo.connectors:
            for number, (direction, url) in enumerate(connector_urls(connector).items()):
                name = connector.kind if number == 0 else ""
                out(f"  {name:<20} {direction:<3} {url}   token {demo.tokens[(connector.kind, direction)]}")
        out(f"The sandbox's Segment accepts the write key {credentials.SEGMENT_WRITE_KEY}.")
        out("Send a sample AIR event through the whole pipeline:")
        out(f"  {demo_curl(demo)}")
        out(f"Then see it at {settings.PUBLIC_BASE_URL}/sandbox/segment/received and in the admin's delivery log.")
