import json

from django.core.management.base import BaseCommand

from connectors.sandbox.services import sandbox_received_clear, sandbox_received_list
from connectors.sandbox.upstreams import upstreams


class Command(BaseCommand):
    help = "Print, as JSON, what a sandbox upstream received (oldest first); --clear forgets it."

    def add_arguments(self, parser):
        parser.add_argument("upstream", choices=list(upstreams()))
        parser.add_argument(
            "--clear", action="store_true", help="Forget what it received and restart its failure count."
        )

    def handle(self, *args, upstream: str, clear: bool, **options):
        if clear:
            sandbox_received_clear(upstream=upstream)
            self.stdout.write(f"Cleared what the {upstream} sandbox received.")
            return
        self.stdout.write(json.dumps(sandbox_received_list(upstream=upstream), indent=2))
