"""List filters named by the console's query parameters, so a filtered list can be saved as a
bulk retry and replayed by ``events.console.log`` exactly as the person saw it."""

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from connectors.models import Client, Connector
from events.console.log import deliveries_filter, distinct_values, events_filter
from events.console.params import PERIODS, STATUS_CODE_CLASSES, console_moment_input
from events.models import Delivery, Direction

if TYPE_CHECKING:
    _ModelAdmin = admin.ModelAdmin[Any]  # any of the log admins
else:  # ModelAdmin takes no type argument at run time
    _ModelAdmin = admin.ModelAdmin


class ConsoleFilter(admin.SimpleListFilter):
    parameter_name: str

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value is None:
            return queryset
        narrow = deliveries_filter if queryset.model is Delivery else events_filter
        return narrow(queryset=queryset, params={self.parameter_name: value})


class StatusFilter(ConsoleFilter):
    title = "status"
    parameter_name = "status"

    def __init__(
        self, request: HttpRequest, params: dict[str, str], model: type[Model], model_admin: _ModelAdmin
    ) -> None:
        super().__init__(request, params, model, model_admin)
        if model is not Delivery:
            # An event's own status says how it was received; its outcome is its deliveries'.
            self.title = "received as"

    def lookups(self, request: HttpRequest, model_admin: _ModelAdmin) -> list[tuple[str, str]]:
        # Each log model (Event, Delivery) has a Status choice; the stubs know only Model.
        choices: list[tuple[str, str]] = model_admin.model.Status.choices
        return choices


class ClientFilter(ConsoleFilter):
    title = "client"
    parameter_name = "client"

    def lookups(self, request: HttpRequest, model_admin: _ModelAdmin) -> list[tuple[str, str]]:
        return [(str(pk), name) for pk, name in Client.objects.order_by("name").values_list("pk", "name")]


class ConnectorFilter(ConsoleFilter):
    title = "connector"
    parameter_name = "connector"

    def lookups(self, request: HttpRequest, model_admin: _ModelAdmin) -> list[tuple[str, str]]:
        connectors = Connector.objects.select_related("client")
        if request.GET.get("client"):
            connectors = connectors.filter(client_id=request.GET["client"])
        return [(str(c.pk), str(c)) for c in connectors]


class DirectionFilter(ConsoleFilter):
    title = "direction"
    parameter_name = "direction"

    def lookups(self, request: HttpRequest, model_admin: _ModelAdmin) -> list[tuple[str, str]]:
        return Direction.choices


class DestinationFilter(ConsoleFilter):
    title = "destination"
    parameter_name = "destination"

    def lookups(self, request: HttpRequest, model_admin: _ModelAdmin) -> list[tuple[str, str]]:
        return [(value, value) for value in distinct_values(model=Delivery, field="destination")]


class EventTypeFilter(ConsoleFilter):
    title = "event type"
    parameter_name = "event_type"

    def lookups(self, request: HttpRequest, model_admin: _ModelAdmin) -> list[tuple[str, str]]:
        from events.models import Event

        return [(value, value) for value in distinct_values(model=Event, field="event_type")]


class StatusCodeFilter(ConsoleFilter):
    title = "last status code"
    parameter_name = "code"

    def lookups(self, request: HttpRequest, model_admin: _ModelAdmin) -> list[tuple[str, str]]:
        return [(c, "no response" if c == "none" else c) for c in STATUS_CODE_CLASSES]


class PeriodFilter(ConsoleFilter):
    title = "time"
    parameter_name = "period"

    def lookups(self, request: HttpRequest, model_admin: _ModelAdmin) -> list[tuple[str, str]]:
        return [(name, f"Last {name}") for name in PERIODS]


class TimeRangeFilter(admin.ListFilter):
    """From / to as date-time pickers (the platform's time zone, UTC by default): two inputs, one
    filter. A date alone typed in the address is read as that day."""

    title = "time range"
    template = "admin/events/range_filter.html"
    parameters = ("from", "to")

    # Only "from" and "to" as typed, strings; the stubs allow the bools and dates other filters keep.
    used_parameters: dict[str, str]  # type: ignore[assignment]

    def __init__(
        self, request: HttpRequest, params: dict[str, str], model: type[Model], model_admin: _ModelAdmin
    ) -> None:
        super().__init__(request, params, model, model_admin)
        for name in self.parameters:
            if name in params:
                value = params.pop(name)
                self.used_parameters[name] = value[-1] if isinstance(value, list) else value

    def has_output(self) -> bool:
        return True

    def expected_parameters(self) -> list[str | None]:
        return list(self.parameters)

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if not self.used_parameters:
            return queryset
        narrow = deliveries_filter if queryset.model is Delivery else events_filter
        return narrow(queryset=queryset, params=self.used_parameters)

    # The stubs know the choices of a list of links; this filter's template takes two inputs.
    def choices(self, changelist: ChangeList) -> Iterator[dict[str, Any]]:  # type: ignore[override]
        hidden = [
            (name, value)
            for name, values in changelist.params.items()
            if name not in self.parameters and name != "p"
            for value in (values if isinstance(values, list) else [values])
        ]
        yield {
            "from": console_moment_input(self.used_parameters.get("from", "")),
            "to": console_moment_input(self.used_parameters.get("to", ""), end=True),
            "hidden": hidden,
            "clear_url": changelist.get_query_string(remove=self.parameters),
        }
