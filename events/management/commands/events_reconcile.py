"""Check a time window for orphans: accepted events never settled, deliveries nobody will send.

Exits 1 when any orphan is found, so a scheduler (cron, Kubernetes CronJob) can alert on it.
"""

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from events.delivery.reconcile import ReconcileReport, events_reconcile

_DURATION = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def moment_parse(value: str, *, now: datetime) -> datetime:
    """``2h``/``30m``/``7d`` ago, or an ISO 8601 date and time (UTC when no offset is given)."""
    duration = _DURATION.match(value.strip())
    if duration:
        return now - timedelta(**{_UNITS[duration.group(2)]: int(duration.group(1))})
    moment = parse_datetime(value.strip())
    if moment is None:
        raise CommandError(f"{value!r} is neither a duration like 2h nor an ISO date and time")
    return moment if timezone.is_aware(moment) else moment.replace(tzinfo=UTC)


class Command(BaseCommand):
    help = (
        "Check that every event received in a window is translated, ignored or failed with a reason, "
        "and that every delivery is finished or scheduled. Exits 1 when anything is orphaned."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", default="24h", help="Start: a duration ago (30m, 2h, 7d) or ISO time.")
        parser.add_argument("--until", default="", help="End (exclusive), as --since; now when empty.")
        parser.add_argument("--json", action="store_true", help="Print the report as one JSON object.")

    def handle(self, *args: Any, since: str, until: str, json: bool, **options: Any) -> None:
        now = timezone.now()
        start = moment_parse(since, now=now)
        end = moment_parse(until, now=now) if until else now
        if end <= start:
            raise CommandError("--until must be after --since")
        report = events_reconcile(since=start, until=end)
        if json:
            self._print_json(report)
        else:
            self._print_text(report)
        if not report.clean:
            raise SystemExit(1)

    def _print_json(self, report: ReconcileReport) -> None:
        self.stdout.write(_json_dumps({
            "since": report.since.isoformat(),
            "until": report.until.isoformat(),
            "events": report.events,
            "deliveries": report.deliveries,
            "orphans": [{"kind": o.kind, "id": o.id, "reason": o.reason} for o in report.orphans],
            "clean": report.clean,
        }))

    def _print_text(self, report: ReconcileReport) -> None:
        out = self.stdout.write
        out(f"Window {report.since:%Y-%m-%d %H:%M:%S} to {report.until:%Y-%m-%d %H:%M:%S} UTC")
        out("Events:     " + ", ".join(f"{name} {count}" for name, count in report.events.items()))
        out("Deliveries: " + ", ".join(f"{name} {count}" for name, count in report.deliveries.items()))
        if report.clean:
            out(self.style.SUCCESS("No orphans."))
            return
        out(self.style.ERROR(f"{report.orphan_count} orphaned:"))
        for orphan in report.orphans:
            out(f"  {orphan.kind} {orphan.id}: {orphan.reason}")


def _json_dumps(value: dict[str, Any]) -> str:
    return json.dumps(value, sort_keys=True)
