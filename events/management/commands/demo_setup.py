from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from connectors.kinds.validation import SettingsInvalid
from connectors.services import connector_urls
from events.services.demo import demo_curl, demo_setup


class Command(BaseCommand):
    help = "Create (or refresh) the demo login and the demo client with one sandbox connector of each kind."

    def add_arguments(self, parser):
        parser.add_argument("--password", default="ee-connect-demo", help="Password of the demo staff login.")

    def handle(self, *args, password, **options):
        if not settings.SANDBOX_ENABLED:
            raise CommandError("The demo needs SANDBOX_ENABLED=true: its connectors point at the sandbox.")
        try:
            demo = demo_setup(password=password, sample_folder=settings.VAR_DIR / "demo")
        except SettingsInvalid as exc:
            raise CommandError(f"Demo connector settings refused: {exc}") from exc
        out = self.stdout.write
        out(f"Admin:  {settings.PUBLIC_BASE_URL}/admin/   login {demo.username} / {demo.password}")
        for connector in demo.connectors:
            urls = connector_urls(connector)
            out(f"  {connector.kind:<20} in  {urls['in']}   token {demo.tokens[(connector.kind, 'in')]}")
            out(f"  {'':<20} out {urls['out']}   token {demo.tokens[(connector.kind, 'out')]}")
        out("Send a sample AIR event through the whole pipeline:")
        out(f"  {demo_curl(demo)}")
        out(f"Then see it at {settings.PUBLIC_BASE_URL}/sandbox/segment/received and in the admin's delivery log.")
