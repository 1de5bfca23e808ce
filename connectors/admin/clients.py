"""Clients: the companies whose connectors are set up here; a client is added in the admin and its
connectors from its page."""

from typing import TYPE_CHECKING

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.safestring import SafeString

from connectors.models import Client, Connector
from connectors.services import client_create

if TYPE_CHECKING:
    _ConnectorInline = admin.TabularInline[Connector, Client]
    _ClientModelAdmin = admin.ModelAdmin[Client]
else:  # TabularInline and ModelAdmin take no type arguments at run time
    _ConnectorInline = admin.TabularInline
    _ClientModelAdmin = admin.ModelAdmin


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
