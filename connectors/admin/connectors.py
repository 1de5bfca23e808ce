"""Connectors: added in two steps (pick the kind, then fill the kind's own form), changed, paused,
disabled and enabled.

Saving goes through ``connectors.services``, which validate exactly as the management commands
do; the state actions go through ``connector_state_set``, which holds or releases the connector's
deliveries. Users who may only view a connector (Support) see its URLs and non-secret settings,
never the settings form and never anything about its secrets.
"""

import json
from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from connectors.admin.tokens import AuthTokenInline, ConnectorTokenPages
from connectors.forms import ConnectorForm, clear_field_keys, connector_form_class
from connectors.kinds.base import FieldType, Kind
from connectors.kinds.registry import kind_get, kinds
from connectors.kinds.validation import SettingsInvalid
from connectors.kinds.voucherify_segment.metadata import FETCHED_SETTING, SchemaUnavailable
from connectors.models import Connector
from connectors.services import (
    connector_config,
    connector_create,
    connector_policy_set,
    connector_state_set,
    connector_update,
    connector_urls,
    voucherify_metadata_schema_refresh,
)

if TYPE_CHECKING:
    from django import forms
    from django.contrib.admin.options import _FieldGroups, _FieldOpts, _FieldsetSpec
    from django_stubs_ext import StrOrPromise

SECRETS_NOTE = (
    "Stored encrypted and never shown again. Leave blank to keep the stored value; "
    "an optional one has a box to clear it."
)
# The delivery log's page that sends a test event (owned by the events app, named here by its URL only).
TEST_EVENT_URL_NAME = "admin:events_event_send_test"
VOUCHERIFY_SCHEMA_URL_NAME = "connectors_connector_voucherify_schema"


def _state_action(
    modeladmin: "ConnectorAdmin", request: HttpRequest, queryset: QuerySet[Connector], *, state: str, done: str
) -> None:
    """Set the state through the one service, so the deliveries follow: Pause and Disable hold what
    is due, Enable releases what is held (also on a connector already active that still holds some)."""
    changes = [
        connector_state_set(connector=connector, state=state, user=request.user)
        for connector in queryset.select_related("client")
    ]
    for change in changes:
        if change.changed:
            modeladmin.log_change(request, change.connector, f"State set to {state}.")
    changed = sum(change.changed for change in changes)
    message = f"{changed} connector(s) {done}; {len(changes) - changed} already {done}."
    held, released = sum(change.held for change in changes), sum(change.released for change in changes)
    if held:
        message += f" {held} due deliveries held."
    if released:
        message += f" {released} held deliveries released."
    modeladmin.message_user(request, message, messages.SUCCESS)


@admin.register(Connector)
class ConnectorAdmin(ConnectorTokenPages):
    list_display = ("name", "client", "kind", "environment", "state", "public_id", "updated_at")
    list_filter = ("state", "kind", "client")
    search_fields = ("name", "client__name", "client__slug")
    list_select_related = ("client",)
    inlines = (AuthTokenInline,)
    actions = ("connectors_pause", "connectors_disable", "connectors_enable")
    change_form_template = "admin/connectors/connector/change_form.html"

    def get_readonly_fields(self, request: HttpRequest, obj: Connector | None = None) -> tuple[str, ...]:
        fields: tuple[str, ...] = ("kind", "webhook_urls", "settings_summary", "public_id", "created_at", "created_by")
        fields = (*fields, "updated_at", "updated_by")
        return (*fields, "client", "state") if obj else fields

    def _kind(self, request: HttpRequest, obj: Connector | None) -> Kind:
        return kind_get(obj.kind if obj else request.GET["kind"])

    def _may_edit(self, request: HttpRequest, obj: Connector | None) -> bool:
        return self.has_add_permission(request) if obj is None else self.has_change_permission(request, obj)

    def get_fieldsets(self, request: HttpRequest, obj: Connector | None = None) -> "_FieldsetSpec":
        kind = self._kind(request, obj)
        identity = ("client", "kind", "name", "environment", *(("state",) if obj else ()))
        fieldsets: list[tuple[StrOrPromise | None, _FieldOpts]] = [(None, {"fields": identity})]
        if obj:
            fieldsets.append(("Webhook URLs to give the client", {"fields": ("webhook_urls",)}))
        if self._may_edit(request, obj):
            fieldsets.append((f"{kind.label} settings", {"fields": [f.key for f in kind.setting_fields]}))
            if kind.secret_fields:
                fields: _FieldGroups = [*(f.key for f in kind.secret_fields), *(clear_field_keys(kind) if obj else [])]
                secrets: _FieldOpts = {"fields": fields, "description": SECRETS_NOTE}
                fieldsets.append(("Secrets", secrets))
        else:
            fieldsets.append(("Settings", {"fields": ("settings_summary",)}))
        fieldsets.append(
            ("Delivery", {"fields": ("max_attempts", "rate_limit_per_second", "destination_rate_per_second")})
        )
        if obj:
            history = ("public_id", "created_at", "created_by", "updated_at", "updated_by")
            fieldsets.append(("History", {"fields": history, "classes": ("collapse",)}))
        return fieldsets

    def get_form(
        self, request: HttpRequest, obj: Connector | None = None, change: bool = False, **kwargs: Any
    ) -> "type[forms.ModelForm[Connector]]":
        kwargs["form"] = connector_form_class(
            self._kind(request, obj).key,
            secret_status_visible=request.user.has_perm("connectors.view_connector_secrets"),
        )
        return super().get_form(request, obj, change, **kwargs)

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if request.GET.get("kind") in kinds():
            return super().add_view(request, form_url, extra_context)
        if not self.has_add_permission(request):
            raise PermissionDenied
        choices: list[tuple[Kind, str]] = []
        for kind in kinds().values():
            query = request.GET.copy()
            query["kind"] = kind.key
            choices.append((kind, f"?{query.urlencode()}"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Add connector: choose its kind",
            "choices": choices,
        }
        return TemplateResponse(request, "admin/connectors/connector/kind_pick.html", context)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        can_issue = request.user.has_perm("connectors.add_authtoken")
        connector = self.get_object(request, object_id)
        if request.method == "GET" and connector is not None and self.has_change_permission(request, connector):
            unreadable = connector_config(connector).secrets_unreadable
            if unreadable:
                self.message_user(request, f"{unreadable}.", messages.WARNING)
        extra_context = {
            **(extra_context or {}),
            "can_issue_tokens": can_issue,
            "token_directions": self.token_directions(connector),
            "test_event_links": self._test_event_links(request, object_id),
            **self._voucherify_schema_context(request, connector),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def _voucherify_schema_context(self, request: HttpRequest, connector: Connector | None) -> dict[str, Any]:
        """The schema read from Voucherify and the button that reads it again (Voucherify connectors)."""
        if connector is None or connector.kind != "voucherify_segment":
            return {}
        if not self.has_change_permission(request, connector):
            return {}
        return {
            "voucherify_schema": connector.settings.get(FETCHED_SETTING) or {},
            "voucherify_schema_url": reverse(f"admin:{VOUCHERIFY_SCHEMA_URL_NAME}", args=[connector.pk]),
        }

    def voucherify_schema_view(self, request: HttpRequest, object_id: str) -> HttpResponseRedirect:
        """POST: read the customer metadata schema from Voucherify and keep it on the connector."""
        connector = self.get_object(request, object_id)
        if connector is None or connector.kind != "voucherify_segment":
            raise Http404("No such Voucherify connector.")
        if not self.has_change_permission(request, connector):
            raise PermissionDenied
        if request.method == "POST":
            try:
                kept = voucherify_metadata_schema_refresh(connector=connector, user=request.user)
            except (SchemaUnavailable, SettingsInvalid) as error:
                self.message_user(request, f"The metadata schema was not read: {error}", messages.ERROR)
            else:
                keys = ", ".join(f"{key} ({kind})" for key, kind in kept["properties"].items()) or "none"
                self.log_change(request, connector, "Read the customer metadata schema from Voucherify.")
                self.message_user(
                    request, f"Customer metadata schema read from Voucherify: {keys}.", messages.SUCCESS
                )
        return HttpResponseRedirect(reverse("admin:connectors_connector_change", args=[connector.pk]))

    def _test_event_links(self, request: HttpRequest, object_id: str) -> list[tuple[str, str]]:
        """"Send a test event" per direction the kind has samples for (the page is the delivery log's)."""
        connector = self.get_object(request, object_id)
        if connector is None or not request.user.has_perm("connectors.change_connector"):
            return []
        return [
            (
                f"Send a test {'inbound' if direction == 'in' else 'outbound'} event",
                reverse(TEST_EVENT_URL_NAME, args=[connector.pk, direction.value]),
            )
            for direction in kind_get(connector.kind).samples
        ]

    def save_model(self, request: HttpRequest, obj: Connector, form: ConnectorForm, change: bool) -> None:
        data = form.cleaned_data
        if not change:
            created = connector_create(
                client=data["client"],
                kind=obj.kind,
                name=data["name"],
                environment=data.get("environment", ""),
                settings=form.settings_values,
                secrets=form.secret_values,
                user=request.user,
                max_attempts=data.get("max_attempts"),
                rate_limit_per_second=data.get("rate_limit_per_second"),
                destination_rate_per_second=data.get("destination_rate_per_second"),
            )
            obj.pk = created.pk
            obj.refresh_from_db()
            return
        connector_update(
            connector=obj,
            name=data["name"],
            environment=data.get("environment", ""),
            settings=form.settings_values,
            secrets=form.secret_values,
            secrets_cleared=form.secrets_cleared,
            user=request.user,
        )
        if {"max_attempts", "rate_limit_per_second", "destination_rate_per_second"} & set(form.changed_data):
            connector_policy_set(
                connector=obj,
                max_attempts=data.get("max_attempts"),
                rate_limit_per_second=data.get("rate_limit_per_second"),
                destination_rate_per_second=data.get("destination_rate_per_second"),
                user=request.user,
            )

    @admin.display(description="URLs")
    def webhook_urls(self, obj: Connector) -> str:
        return render_to_string("admin/connectors/connector/webhook_urls.html", {"urls": connector_urls(obj)})

    @admin.display(description="Settings")
    def settings_summary(self, obj: Connector) -> SafeString:
        rows: list[tuple[str, Any]] = []
        for field in kind_get(obj.kind).setting_fields:
            value = obj.settings.get(field.key, field.default)
            shown = json.dumps(value) if field.type is FieldType.MAPPING else ("" if value is None else value)
            rows.append((field.label, shown))
        return format_html("<table>{}</table>", format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows))

    @admin.action(description="Pause selected connectors (hold their deliveries)", permissions=["change"])
    def connectors_pause(self, request: HttpRequest, queryset: QuerySet[Connector]) -> None:
        _state_action(self, request, queryset, state=Connector.State.PAUSED, done="paused")

    @admin.action(description="Disable selected connectors (refuse events)", permissions=["change"])
    def connectors_disable(self, request: HttpRequest, queryset: QuerySet[Connector]) -> None:
        _state_action(self, request, queryset, state=Connector.State.DISABLED, done="disabled")

    @admin.action(
        description="Enable selected connectors (a paused one resumes, a disabled one accepts events again)",
        permissions=["change"],
    )
    def connectors_enable(self, request: HttpRequest, queryset: QuerySet[Connector]) -> None:
        _state_action(self, request, queryset, state=Connector.State.ACTIVE, done="enabled")

    def get_urls(self) -> list[URLPattern]:
        schema = self.admin_site.admin_view(self.voucherify_schema_view)
        return [
            path("<path:object_id>/voucherify-metadata-schema/", schema, name=VOUCHERIFY_SCHEMA_URL_NAME),
            *super().get_urls(),  # the token pages' first
        ]
