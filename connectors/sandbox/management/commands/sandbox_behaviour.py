import json

from django.core.management.base import BaseCommand, CommandError

from connectors.sandbox.services import (
    BehaviourInvalid,
    behaviour_options,
    sandbox_behaviour_describe,
    sandbox_behaviour_set,
)
from connectors.sandbox.upstreams import upstreams


class Command(BaseCommand):
    help = (
        "Make a sandbox upstream fail or slow down. --status alone fails every call; with --fail-first N "
        "only the next N calls fail (500 unless --status says otherwise). --reset restores normal service. "
        "Prints the behaviour now in force as JSON."
    )

    def add_arguments(self, parser):
        parser.add_argument("upstream", choices=list(upstreams()))
        parser.add_argument("--status", type=int, help="HTTP status to answer, e.g. 500, 503 or 429.")
        parser.add_argument("--delay-ms", type=int, help="Wait this long before answering.")
        parser.add_argument("--fail-first", type=int, help="Fail only the next N calls, then serve normally.")
        parser.add_argument("--retry-after", type=int, help="Seconds to send as Retry-After with a failure.")
        parser.add_argument("--reset", action="store_true", help="Serve every call normally again.")

    def handle(self, *args, upstream: str, reset: bool, **options):
        wanted = {key: options[key] for key in ("status", "delay_ms", "fail_first", "retry_after")}
        if reset and any(value is not None for value in wanted.values()):
            raise CommandError("--reset cannot be combined with other options.")
        if not reset and all(value is None for value in wanted.values()):
            raise CommandError("Give --status, --delay-ms, --fail-first, --retry-after or --reset.")
        try:
            behaviour = behaviour_options({key: value for key, value in wanted.items() if value is not None})
        except BehaviourInvalid as error:
            raise CommandError(str(error)) from None
        sandbox_behaviour_set(upstream=upstream, **behaviour)
        self.stdout.write(json.dumps(sandbox_behaviour_describe(upstream=upstream), indent=2))
