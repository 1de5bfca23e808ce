"""The console's filters as people type them: each value checked, with a message naming what is
wrong (``2026-11-31`` is no day, ``abc`` no connector id), Django admin's own spellings read as
the console's, dates shown to a date-time picker, and a filter described by names, not ids."""

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from events.models import Delivery, Direction, Event

PERIODS = {"hour": timedelta(hours=1), "day": timedelta(days=1), "week": timedelta(days=7)}
STATUS_CODE_CLASSES = ("2xx", "3xx", "4xx", "5xx", "none")


def moment_read(value: str, *, end: bool = False) -> datetime:
    """An ISO date or date-time; a bare date ``to`` means the end of that day. Raises
    ValueError saying why when the value is not one (``2026-11-31``, ``yesterday``)."""
    try:
        # A bare date first: Python reads "2026-05-31" as a date-time too (its midnight), which
        # would make a "to" date end where it starts.
        day = parse_date(value)
        moment = None if day else parse_datetime(value)
    except ValueError:  # well formed, but no such day or time
        raise ValueError(f"{value!r} is not a day of the calendar") from None
    if day is not None:
        moment = datetime.combine(day, datetime.min.time()) + (timedelta(days=1) if end else timedelta())
    elif moment is None:
        raise ValueError(f"{value!r} is not a date (2026-05-31) or a date and time (2026-05-31T09:30)")
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def console_moment_input(value: str, *, end: bool = False) -> str:
    """A ``from``/``to`` value as a date-time picker shows it (``2026-05-31T09:30``, in the
    platform's time zone); "" when it is empty or unreadable. A bare date ``to`` is shown as the
    moment it stands for, the start of the next day."""
    if not value:
        return ""
    try:
        moment = moment_read(value, end=end)
    except ValueError:
        return ""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


# Django admin's own spellings of the console's filters (in links the admin builds, or typed).
FILTER_ALIASES = {
    "status__exact": "status",
    "connector__exact": "connector",
    "connector__id__exact": "connector",
    "connector_id__exact": "connector",
    "connector__client__id__exact": "client",
    "connector__client__exact": "client",
    "destination__exact": "destination",
    "direction__exact": "direction",
    "event__direction__exact": "direction",
    "event_type__exact": "event_type",
    "event__event_type__exact": "event_type",
    "event__exact": "event",
    "event__id__exact": "event",
    "event_id__exact": "event",
}
FILTER_NAMES = ("status", "client", "connector", "event", "direction", "destination", "event_type", "code",
                "period", "from", "to", "q")
_ID_FILTERS = {"client": "client", "connector": "connector", "event": "event"}


def console_params_check(*, params: Mapping[str, str], statuses: Sequence[str]) -> dict[str, str]:
    """Why each filter value cannot be used, by the parameter's name as given: a message per
    refused value, never a silent "ignored". ``statuses`` are the listed model's."""
    errors = {}
    for given, value in params.items():
        name = FILTER_ALIASES.get(given, given)
        if name not in FILTER_NAMES or value in ("", None):
            continue
        if name in _ID_FILTERS and not (value.isdigit() and int(value) > 0):
            errors[given] = f"{name}: {value!r} is not a {_ID_FILTERS[name]} id (a whole number)."
        elif name == "status" and value not in statuses:
            errors[given] = f"status: {value!r} is not one of {', '.join(statuses)}."
        elif name == "direction" and value not in Direction.values:
            errors[given] = f"direction: {value!r} is not one of {', '.join(Direction.values)}."
        elif name == "code" and value not in STATUS_CODE_CLASSES:
            errors[given] = f"last status code: {value!r} is not one of {', '.join(STATUS_CODE_CLASSES)}."
        elif name == "period" and value not in PERIODS:
            errors[given] = f"time: {value!r} is not one of {', '.join(PERIODS)}."
        elif name in ("from", "to"):
            try:
                moment_read(value)
            except ValueError as refused:
                errors[given] = f"time range {name}: {refused}."
    readable = params.get("from") and params.get("to") and not {"from", "to"} & set(errors)
    if readable and moment_read(params["from"]) >= moment_read(params["to"], end=True):
        errors["to"] = f"time range: to ({params['to']}) is not after from ({params['from']})."
    return errors


def console_params(query: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """The console's filters in a query string, Django admin's spellings included, under their
    console names; and the parameters that are no filter of the console (a bulk retry refuses to
    save a list it could not replay exactly)."""
    params, unknown = {}, []
    for given, value in query.items():
        name = FILTER_ALIASES.get(given, given)
        if name in FILTER_NAMES:
            if value:
                params[name] = value
        elif given not in LIST_DISPLAY_PARAMS:
            unknown.append(given)
    return params, unknown


# What a list's query string may hold besides filters: page, order, the admin's own markers.
LIST_DISPLAY_PARAMS = ("p", "o", "e", "all", "_changelist_filters", "_to_field", "_popup", "exact_count")


def console_filters_describe(params: Mapping[str, str]) -> str:
    """A filter as a person reads it: names, not ids ("connector Demo · AIR (UAT), event type
    SERVICE.TRIGGER, last day")."""
    from connectors.models import Client, Connector

    parts = []
    if params.get("client"):
        client = Client.objects.filter(pk=params["client"]).first()
        parts.append(f"client {client or 'no longer there (id ' + params['client'] + ')'}")
    if params.get("connector"):
        connector = Connector.objects.select_related("client").filter(pk=params["connector"]).first()
        parts.append(f"connector {connector or 'no longer there (id ' + params['connector'] + ')'}")
    if params.get("event"):
        event = Event.objects.filter(pk=params["event"]).only("event_type", "source_event_id").first()
        parts.append(f"event {event or params['event']}")
    if params.get("status"):
        parts.append(f"status {Delivery.Status(params['status']).label.lower()}")
    if params.get("direction"):
        parts.append(f"direction {Direction(params['direction']).label}")
    for name, label in (("destination", "destination"), ("event_type", "event type"), ("code", "last status")):
        if params.get(name):
            parts.append(f"{label} {params[name]}")
    if params.get("period"):
        parts.append(f"last {params['period']}")
    if params.get("from"):
        parts.append(f"from {timezone.localtime(moment_read(params['from'])):%Y-%m-%d %H:%M}")
    if params.get("to"):
        parts.append(f"to {timezone.localtime(moment_read(params['to'], end=True)):%Y-%m-%d %H:%M}")
    if params.get("q"):
        parts.append(f"search “{params['q']}”")
    return ", ".join(parts) or "every delivery"
