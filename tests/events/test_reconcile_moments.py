"""events_reconcile's --since / --until: durations ago, or ISO times with or without an offset."""

import json
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from events.management.commands.events_reconcile import moment_parse

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_an_iso_time_without_an_offset_is_read_as_utc():
    assert moment_parse("2026-02-28T09:30:00", now=NOW) == datetime(2026, 2, 28, 9, 30, tzinfo=UTC)


def test_an_iso_time_with_an_offset_keeps_it():
    # 09:30 at +02:00 is 07:30 UTC
    assert moment_parse("2026-02-28T09:30:00+02:00", now=NOW) == datetime(2026, 2, 28, 7, 30, tzinfo=UTC)


def test_a_duration_is_that_long_before_now():
    assert moment_parse("90m", now=NOW) == NOW - timedelta(minutes=90)


@pytest.mark.django_db
def test_the_command_takes_since_and_until_without_an_offset():
    out = StringIO()

    call_command(
        "events_reconcile", "--since", "2026-02-28T09:30:00", "--until", "2026-02-28T10:00", "--json", stdout=out
    )

    printed = json.loads(out.getvalue())
    assert (printed["since"], printed["until"]) == ("2026-02-28T09:30:00+00:00", "2026-02-28T10:00:00+00:00")
    assert printed["clean"] is True
