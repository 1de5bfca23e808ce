from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString

from connectors.models import Client, Connector
from connectors.services import connector_state_set
from events.admin.base import RETRY_PERMISSION, status_badge
from events.admin.chart import chart_svg
from events.admin.hub import connector_hub_context
from events.console.dashboard import WINDOWS, dashboard_figures
from events.console.params import console_params_check
from events.models import ConnectorHealth, Delivery

if TYPE_CHECKING:
    from typing import TypedDict

    from django_stubs_ext import WithAnnotations

    class _Counts(TypedDict):
        failed_count: int
        retrying_count: int
        held_count: int

    # A row of the list: get_queryset annotates each connector with its counts.
    _Row = WithAnnotations[ConnectorHealth, _Counts]
    _ConnectorHealthModelAdmin = admin.ModelAdmin[ConnectorHealth]
else:  # ModelAdmin takes no type argument at run time
    _ConnectorHealthModelAdmin = admin.ModelAdmin


@admin.register(ConnectorHealth)
class ConnectorHealthAdmin(_ConnectorHealthModelAdmin):
    """Connectors as support sees them: no settings, no secrets; state, trouble, pause/resume."""

    list_display = ("__str__", "kind", "state_badge", "failed_last_day", "retrying", "held")
    list_filter = ("state", "client")
    list_select_related = ("client",)
    actions = ("pause", "resume")
    fields = ("client", "name", "kind", "environment", "state_badge")  # the figures are in the template
    readonly_fields = ("state_badge",)
    change_list_template = "admin/events/connectorhealth/change_list.html"
    change_form_template = "admin/events/connectorhealth/change_form.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[ConnectorHealth]:
        # One index probe per connector and figure (connector, status, created_at), never a
        # join over the whole log.
        since = timezone.now() - WINDOWS["day"]
        return (
            super()
            .get_queryset(request)
            .annotate(
                failed_count=_count(status=Delivery.Status.FAILED, created_at__gte=since),
                retrying_count=_count(status=Delivery.Status.RETRYING),
                held_count=_count(status=Delivery.Status.HELD),
            )
        )

    def has_view_permission(self, request: HttpRequest, obj: ConnectorHealth | None = None) -> bool:
        return request.user.has_perm("connectors.view_connector")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ConnectorHealth | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ConnectorHealth | None = None) -> bool:
        return False

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(RETRY_PERMISSION)

    @admin.display(description="state", ordering="state")
    def state_badge(self, obj: ConnectorHealth) -> SafeString:
        return status_badge(obj.state, obj.get_state_display())

    @admin.display(description="failed (created in the last 24 h)", ordering="failed_count")
    def failed_last_day(self, obj: "_Row") -> int:
        return obj.failed_count

    @admin.display(description="retrying", ordering="retrying_count")
    def retrying(self, obj: "_Row") -> int:
        return obj.retrying_count

    @admin.display(description="held", ordering="held_count")
    def held(self, obj: "_Row") -> int:
        return obj.held_count

    @admin.action(description="Pause: accept events, hold their deliveries", permissions=["retry"])
    def pause(self, request: HttpRequest, queryset: QuerySet[ConnectorHealth]) -> None:
        done = []
        for connector in queryset:
            held = connector_state_set(connector=connector, state=Connector.State.PAUSED, user=request.user).held
            self.log_change(request, connector, f"Paused; {held} due deliveries held")
            done.append(f"{connector} paused, {held} due deliveries held")
        self.message_user(request, "; ".join(done) + ".")

    @admin.action(description="Resume: release held deliveries gradually", permissions=["retry"])
    def resume(self, request: HttpRequest, queryset: QuerySet[ConnectorHealth]) -> None:
        done = []
        for connector in queryset:
            released = connector_state_set(
                connector=connector, state=Connector.State.ACTIVE, user=request.user
            ).released
            self.log_change(request, connector, f"Resumed; {released} held deliveries released")
            done.append(f"{connector} resumed, {released} held deliveries released")
        self.message_user(request, "; ".join(done) + ".")

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("dashboard/", view(self.dashboard_view), name="events_connectorhealth_dashboard"),
            path(
                "<int:pk>/pause/", view(self.state_view), {"pause": True}, name="events_connectorhealth_pause"
            ),
            path(
                "<int:pk>/resume/",
                view(self.state_view),
                {"pause": False},
                name="events_connectorhealth_resume",
            ),
            *super().get_urls(),
        ]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # Rates, latency, backlog, the last error and each destination's circuit.
        connector = self.get_object(request, object_id)
        context = {**(extra_context or {}), **(connector_hub_context(request, connector) if connector else {})}
        return super().change_view(request, object_id, form_url, context)

    def state_view(self, request: HttpRequest, pk: int, pause: bool) -> HttpResponse:
        """Pause or resume from the health page or the connector's own page (``next``)."""
        if request.method != "POST" or not self.has_retry_permission(request):
            raise PermissionDenied
        connector = get_object_or_404(ConnectorHealth, pk=pk)
        queryset = ConnectorHealth.objects.filter(pk=connector.pk)
        (self.pause if pause else self.resume)(request, queryset)
        back = request.GET.get("next", "")
        if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            return redirect(back)
        return redirect("admin:events_connectorhealth_change", connector.pk)

    def dashboard_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm("events.view_delivery"):
            raise PermissionDenied
        window = request.GET.get("window", "day")
        refused = console_params_check(
            params={name: request.GET.get(name, "") for name in ("client", "connector")}, statuses=()
        )
        for message in refused.values():
            messages.error(request, f"{message} Showing every {message.split(':')[0]}.")
        client_id = _int(request.GET.get("client"))
        connector_id = _int(request.GET.get("connector"))
        dashboard = dashboard_figures(window=window, client_id=client_id, connector_id=connector_id)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Delivery dashboard",
            "dashboard": dashboard,
            "chart": chart_svg(dashboard.series),
            "windows": list(WINDOWS),
            "clients": Client.objects.order_by("name"),
            "connectors": Connector.objects.select_related("client"),
            "client_id": client_id,
            "connector_id": connector_id,
        }
        if window not in WINDOWS:
            messages.warning(request, "Unknown window; showing the last day.")
        return TemplateResponse(request, "admin/events/connectorhealth/dashboard.html", context)


def _count(**lookups: object) -> Coalesce:
    matching = Delivery.objects.filter(connector=OuterRef("pk"), **lookups).order_by()
    return Coalesce(Subquery(matching.values("connector").annotate(n=Count("id")).values("n")), 0)


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None
