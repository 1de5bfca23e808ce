"""Self-serve setup: clients, their connectors and webhook tokens.

A connector is added in two steps: pick the kind, then fill the kind's own form. Saving goes
through ``connectors.services``, which validate exactly as the management commands do. Users who
may only view a connector (Support) see its URLs and non-secret settings, never the settings form
and never anything about its secrets.
"""

import json
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.safestring import SafeString

from connectors.forms import ConnectorForm, clear_field_keys, connector_form_class
from connectors.kinds.base import Direction, FieldType, Kind
from connectors.kinds.registry import kind_get, kinds
from connectors.kinds.validation import SettingsInvalid
from connectors.kinds.voucherify_segment.metadata import FETCHED_SETTING, SchemaUnavailable
from connectors.models import AuthToken, Client, Connector
from connectors.services import (
    client_create,
    connector_config,
    connector_create,
    connector_policy_set,
    connector_state_set,
    connector_update,
    connector_urls,
    voucherify_metadata_schema_refresh,
)
from connectors.tokens import KEY_MIN_LENGTH, token_issue, token_register, token_revoke

if TYPE_CHECKING:
    from django.contrib.admin.options import _FieldGroups, _FieldOpts, _FieldsetSpec
    from django_stubs_ext import StrOrPromise

    _ConnectorInline = admin.TabularInline[Connector, Client]
    _AuthTokenInline = admin.TabularInline[AuthToken, Connector]
    _ClientModelAdmin = admin.ModelAdmin[Client]
    _ConnectorModelAdmin = admin.ModelAdmin[Connector]
    _AuthTokenModelAdmin = admin.ModelAdmin[AuthToken]
else:  # TabularInline and ModelAdmin take no type arguments at run time
    _ConnectorInline = _AuthTokenInline = admin.TabularInline
    _ClientModelAdmin = _ConnectorModelAdmin = _AuthTokenModelAdmin = admin.ModelAdmin

SECRETS_NOTE = (
    "Stored encrypted and never shown again. Leave blank to keep the stored value; "
    "an optional one has a box to clear it."
)
TOKEN_ISSUE_URL_NAME = "connectors_connector_issue_token"  # noqa: S105 - a URL name
TOKEN_ISSUED_URL_NAME = "connectors_connector_token_issued"  # noqa: S105 - a URL name
KEY_REGISTER_URL_NAME = "connectors_connector_register_key"
# The delivery log's page that sends a test event (owned by the events app, named here by its URL only).
TEST_EVENT_URL_NAME = "admin:events_event_send_test"
VOUCHERIFY_SCHEMA_URL_NAME = "connectors_connector_voucherify_schema"
TOKEN_FIELDS = ("prefix", "direction", "label", "created_at", "created_by", "last_used_at", "expires_at")
# The token just issued, kept in the session between the POST that issues it and the one page
# that shows it: a reload shows nothing and issues nothing.
ISSUED_SESSION_KEY = "connectors:issued-token"


class ConnectorInline(_ConnectorInline):
    model = Connector
    fields = ("name", "kind", "environment", "state", "public_id")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Client | None = None) -> bool:
        return False


@admin.register(Client)
class ClientAdmin(_ClientModelAdmin):
    list_display = ("name", "slug", "active", "created_at")
    list_filter = ("active",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("connector_add_link",)
    inlines = (ConnectorInline,)

    def get_fields(self, request: HttpRequest, obj: Client | None = None) -> tuple[str, ...]:
        fields = ("name", "slug", "notes", "active")
        return (*fields, "connector_add_link") if obj else fields

    @admin.display(description="New connector")
    def connector_add_link(self, obj: Client) -> SafeString:
        url = f"{reverse('admin:connectors_connector_add')}?{urlencode({'client': obj.pk})}"
        return format_html('<a class="addlink" href="{}">Add a connector for {}</a>', url, obj)

    def save_model(self, request: HttpRequest, obj: Client, form: "forms.ModelForm[Client]", change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        created = client_create(name=obj.name, slug=obj.slug, notes=obj.notes, user=request.user)
        obj.pk = created.pk
        obj.refresh_from_db()


class AuthTokenInline(_AuthTokenInline):
    model = AuthToken
    fields = (*TOKEN_FIELDS, "revoked_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "webhook tokens (only their prefix is kept readable)"

    def has_add_permission(self, request: HttpRequest, obj: Connector | None = None) -> bool:
        return False

    # The stubs' BaseModelAdmin types obj as the inline's own model; an inline is given the parent's.
    def has_change_permission(self, request: HttpRequest, obj: Connector | None = None) -> bool:  # type: ignore[override]
        return False


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
class ConnectorAdmin(_ConnectorModelAdmin):
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
            "token_directions": self._token_directions(connector),
            "test_event_links": self._test_event_links(request, object_id),
            **self._voucherify_schema_context(request, connector),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def _token_directions(self, connector: Connector | None) -> list[Direction]:
        """The directions a token or key can be given for: those the connector's kind has a URL for."""
        return list(kind_get(connector.kind).directions) if connector else []

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
        issue = self.admin_site.admin_view(self.token_issue_view)
        register = self.admin_site.admin_view(self.key_register_view)
        schema = self.admin_site.admin_view(self.voucherify_schema_view)
        return [
            path("<path:object_id>/voucherify-metadata-schema/", schema, name=VOUCHERIFY_SCHEMA_URL_NAME),
            path("<path:object_id>/issue-token/<str:direction>/", issue, name=TOKEN_ISSUE_URL_NAME),
            path(
                "<path:object_id>/issue-token/<str:direction>/issued/",
                self.admin_site.admin_view(self.token_issued_view),
                name=TOKEN_ISSUED_URL_NAME,
            ),
            path("<path:object_id>/register-key/<str:direction>/", register, name=KEY_REGISTER_URL_NAME),
            *super().get_urls(),
        ]

    def _token_page(
        self, request: HttpRequest, object_id: str, direction: str, title: str
    ) -> tuple[Connector, dict[str, Any]]:
        connector = self.get_object(request, object_id)
        if connector is None or direction not in kind_get(connector.kind).directions:
            raise Http404("No such connector, or it has no URL in that direction.")
        if not request.user.has_perm("connectors.add_authtoken"):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": connector,
            "direction": Direction(direction),
            "direction_label": AuthToken.DIRECTION_LABELS[Direction(direction)],
            "title": title.format(AuthToken.DIRECTION_LABELS[Direction(direction)].split(" ")[0].lower()),
        }
        return connector, context

    def _token_label(self, request: HttpRequest) -> str:
        return request.POST.get("label", "").strip()[: AuthToken._meta.get_field("label").max_length]

    def key_register_view(self, request: HttpRequest, object_id: str, direction: str) -> HttpResponse:
        """Register the key the client chose; like an issued token, only its hash is kept."""
        connector, context = self._token_page(request, object_id, direction, "Register the client's {} key")
        context["min_length"] = KEY_MIN_LENGTH
        template = "admin/connectors/connector/key_register.html"
        if request.method != "POST":
            return TemplateResponse(request, template, context)
        label = self._token_label(request)
        try:
            token = token_register(
                connector=connector, direction=direction, value=request.POST.get("value", ""),
                label=label, user=request.user,
            )
        except ValidationError as exc:
            # The key is not sent back into the form: it is typed again.
            context.update(errors=exc.message_dict.get("value", []), label=label)
            return TemplateResponse(request, template, context, status=400)
        self.log_change(request, connector, f"Registered the client's {direction} key {token.prefix}…")
        self.message_user(
            request, f"The client's {direction} key is registered as {token.prefix}; only its hash is kept.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:connectors_connector_change", args=[connector.pk]))

    def token_issue_view(self, request: HttpRequest, object_id: str, direction: str) -> HttpResponse:
        connector, context = self._token_page(request, object_id, direction, "Issue {} token")
        if request.method != "POST":
            return TemplateResponse(request, "admin/connectors/connector/token_issue.html", context)
        label = self._token_label(request)
        issued = token_issue(connector=connector, direction=direction, label=label, user=request.user)
        self.log_change(request, connector, f"Issued {direction} token {issued.token.prefix}…")
        request.session[ISSUED_SESSION_KEY] = {
            "connector": connector.pk, "direction": direction, "prefix": issued.token.prefix,
            "plaintext": issued.plaintext,
        }
        return HttpResponseRedirect(reverse(f"admin:{TOKEN_ISSUED_URL_NAME}", args=[connector.pk, direction]))

    def token_issued_view(self, request: HttpRequest, object_id: str, direction: str) -> HttpResponse:
        """The token just issued, shown once: read from the session and removed from it, so a
        reload (or the back button) shows nothing and issues nothing."""
        connector, context = self._token_page(request, object_id, direction, "Issued {} token")
        issued = request.session.get(ISSUED_SESSION_KEY)
        if not issued or (issued["connector"], issued["direction"]) != (connector.pk, direction):
            self.message_user(
                request,
                "An issued token is shown only once and is not kept. If it was not copied, revoke it "
                "(Webhook tokens, below) and issue another.",
                messages.WARNING,
            )
            return HttpResponseRedirect(reverse("admin:connectors_connector_change", args=[connector.pk]))
        del request.session[ISSUED_SESSION_KEY]
        # admin_view marks the response no-store, so the token stays out of caches.
        context["issued"] = issued
        return TemplateResponse(request, "admin/connectors/connector/token_issued.html", context)


@admin.register(AuthToken)
class AuthTokenAdmin(_AuthTokenModelAdmin):
    list_display = (*TOKEN_FIELDS[:4], "connector", "last_used_at", "expires_at", "revoked_at")
    list_filter = ("direction", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("prefix", "label", "connector__name", "connector__client__name")
    list_select_related = ("connector__client",)
    fields = ("connector", *TOKEN_FIELDS, "revoked_at")
    readonly_fields = (
        "connector", *(f for f in TOKEN_FIELDS if f not in ("label", "expires_at")), "revoked_at"
    )
    actions = ("tokens_revoke",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # issued from the connector's page, where the token is shown once

    def has_delete_permission(self, request: HttpRequest, obj: AuthToken | None = None) -> bool:
        return False  # revoked instead, so the history of who could call in stays

    @admin.action(description="Revoke selected tokens", permissions=["change"])
    def tokens_revoke(self, request: HttpRequest, queryset: QuerySet[AuthToken]) -> None:
        revoked = [t for t in queryset if t.revoked_at is None]
        for token in revoked:
            token_revoke(prefix_or_id=str(token.pk))
            self.log_change(request, token, "Revoked.")
        self.message_user(request, f"{len(revoked)} token(s) revoked.", messages.SUCCESS)
